"""The ``faqkb verify --json`` shape: one record per command, and the totals of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faqkb.model import KnowledgeBase
from faqkb.reports.text import command_text, relative_path
from faqkb.results import Status
from faqkb.verify.verifier import Report


def records(report: Report, kb: KnowledgeBase, root: Path) -> list[dict[str, Any]]:
    """One record per command: entry, index, status, seconds, where it is (file relative to
    the project ``root``, line), its title and text, and why it failed or did not run."""
    out = []
    for er in report.results.values():
        entry = kb.entries[er.entry]
        for c in er.commands:
            cmd = entry.commands[c.index]
            out.append({
                "entry": er.entry, "index": c.index, "status": c.status, "seconds": c.seconds,
                "file": relative_path(entry.path, root), "line": cmd.line, "title": cmd.title,
                "command": command_text(cmd),
                **({"failures": c.failures} if c.failures else {}),
                **({"reason": c.reason} if c.reason else {}),
                **({"missing": c.missing} if c.missing else {}),
            })
    return out


def totals(report: Report) -> dict[str, Any]:
    """Counts per status, entries, and wall-clock seconds."""
    counts = {str(s): 0 for s in (Status.PASSED, Status.CACHED, Status.FAILED, Status.UNVERIFIED)}
    for er in report.results.values():
        for c in er.commands:
            counts[c.status] += 1
    return {**counts, "commands": sum(counts.values()), "entries": len(report.results),
            "seconds": round(report.seconds, 3)}
