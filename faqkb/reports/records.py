"""The ``faqkb verify --json`` shape: one record per command, and the totals of a run."""

from __future__ import annotations

from typing import Any

from faqkb.results import Status
from faqkb.verify.verifier import Report


def records(report: Report) -> list[dict[str, Any]]:
    """One record per command: entry, index, status, seconds, and why it failed if it did."""
    return [
        {"entry": er.entry, "index": c.index, "status": c.status, "seconds": c.seconds,
         **({"failures": c.failures} if c.failures else {}),
         **({"reason": c.reason} if c.reason else {})}
        for er in report.results.values()
        for c in er.commands
    ]


def totals(report: Report) -> dict[str, Any]:
    """Counts per status, entries, and wall-clock seconds."""
    counts = {str(s): 0 for s in (Status.PASSED, Status.CACHED, Status.FAILED, Status.UNVERIFIED)}
    for er in report.results.values():
        for c in er.commands:
            counts[c.status] += 1
    return {**counts, "commands": sum(counts.values()), "entries": len(report.results),
            "seconds": round(report.seconds, 3)}
