"""Plain-text views for the terminal: verification failures, summaries, one entry.

The CLI only prints these; keeping them here lets every integration say the same thing.
"""

from __future__ import annotations

from typing import Any

from faqkb import placeholders
from faqkb.model import Entry, KnowledgeBase
from faqkb.results import CommandResult

_MARKS = {"passed": "ok", "failed": "FAILED", "unverified": "NOT RUN", "cached": "cached"}


def _indent(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def failure_lines(kb: KnowledgeBase, results: dict[str, Any]) -> list[str]:
    """``path:line: entry 'id', command N FAILED: cmd`` and the reasons, for each bad command."""
    out: list[str] = []
    for entry_id, er in results.items():
        entry = kb.entries[entry_id]
        for c in er.commands:
            if c.ok:
                continue
            cmd = entry.commands[c.index]
            first = placeholders.for_page(cmd.run).splitlines()[0]
            out.append(f"{entry.path}:{cmd.line}: entry {entry_id!r}, command {c.index + 1} "
                       f"{c.status.upper()}: {first}")
            out += [_indent(f, "    ") for f in (c.failures or [c.reason])]
    return out


def summary_line(totals: dict[str, Any]) -> str:
    """One line with the counts of a verification run."""
    return (f"{totals['commands']} commands in {totals['entries']} entries: {totals['passed']} passed, "
            f"{totals['cached']} cached, {totals['failed']} failed, {totals['unverified']} unverified "
            f"({totals['seconds']:.1f} s)")


def command_block(entry: Entry, index: int, res: CommandResult) -> tuple[str, str, str, list[str]]:
    """What `faqkb try` shows for one command: the command, its output, a status, the failures."""
    cmd = entry.commands[index]
    status = f"[{_MARKS.get(res.status, res.status)}, exit {res.exit_code}, {res.seconds:.2f} s]"
    reasons = [_indent(f, "  ") for f in (res.failures or ([res.reason] if res.reason else []))]
    return f"$ {placeholders.for_page(cmd.run)}", res.combined.rstrip(), status, reasons


def entry_json(e: Entry) -> dict[str, Any]:
    """An entry as `faqkb show --json` prints it (commands as a reader types them)."""
    return {"id": e.id, "section": e.section, "question": e.question, "answer": e.answer,
            "tags": list(e.tags), "aliases": list(e.aliases), "see_also": list(e.see_also),
            "commands": [placeholders.for_page(c.run) for c in e.commands]}


def entry_text(e: Entry) -> tuple[str, str]:
    """An entry for the terminal: its question (a heading) and the rest."""
    body = [f"[{e.section}] {' '.join('#' + t for t in e.tags)}", "", e.answer.strip()]
    body += ["\n" + _indent("$ " + placeholders.for_page(c.run), "  ") for c in e.commands]
    if e.see_also:
        body += ["", "See also: " + ", ".join(e.see_also)]
    return e.question, "\n".join(body)
