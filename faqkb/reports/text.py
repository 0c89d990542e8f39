"""Plain-text views for the terminal: verification failures, summaries, one entry.

The CLI, the MkDocs plugin and the pytest plugin only print these, so each failure is
worded one way everywhere: ``path:line: entry 'id', command N FAILED: command`` and
then, indented, why (:attr:`faqkb.results.CommandResult.why`).
"""

from __future__ import annotations

from typing import Any

from faqkb import placeholders
from faqkb.model import Command, Entry, KnowledgeBase
from faqkb.results import CommandResult, EntryResult, Status

_MARKS = {Status.PASSED: "ok", Status.FAILED: "FAILED", Status.UNVERIFIED: "NOT RUN",
          Status.CACHED: "cached"}


def _indent(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def first_line_as_shown(cmd: Command) -> str:
    """The first line of a command as the page shows it (how a report names the command)."""
    return placeholders.for_page(cmd.run).splitlines()[0]


def failure_head(entry: Entry, c: CommandResult) -> str:
    """``path:line: entry 'id', command N FAILED: command``: where the failing command is."""
    cmd = entry.commands[c.index]
    return (f"{entry.path}:{cmd.line}: entry {entry.id!r}, command {c.index + 1} "
            f"{c.status.upper()}: {first_line_as_shown(cmd)}")


def failure_lines(kb: KnowledgeBase, results: dict[str, EntryResult]) -> list[str]:
    """The head of each command that is not ok, each reason indented under it."""
    out: list[str] = []
    for entry_id, er in results.items():
        entry = kb.entries[entry_id]
        for c in er.commands:
            if not c.ok:
                out.append(failure_head(entry, c))
                out += [_indent(why, "    ") for why in c.why]
    return out


def unsandboxed_line(results: dict[str, EntryResult]) -> str | None:
    """One line saying which entries ran without the sandbox and why; None if all ran in it."""
    bare = {eid: er.unsandboxed for eid, er in sorted(results.items()) if er.unsandboxed}
    if not bare:
        return None
    reasons = "; ".join(dict.fromkeys(bare.values()))
    names = ", ".join(list(bare)[:5]) + (", ..." if len(bare) > 5 else "")
    return (f"faqkb: {len(bare)} entries ran WITHOUT the sandbox ({names}): {reasons}. Their "
            "commands could write outside their sandbox and reach faqkb's processes.")


def warning_lines(kb: KnowledgeBase, results: dict[str, EntryResult]) -> list[str]:
    """One message per command that is not ok (a MkDocs warning each), worded as
    :func:`failure_lines` words it; and one if commands ran unsandboxed (strict builds fail)."""
    bare = unsandboxed_line(results)
    out = [bare] if bare else []
    for entry_id, er in sorted(results.items()):
        entry = kb.entries[entry_id]
        out += ["\n".join([failure_head(entry, c), *(_indent(w, "    ") for w in c.why)])
                for c in er.commands if not c.ok]
    return out


def summary_line(totals: dict[str, Any]) -> str:
    """One line with the counts of a verification run."""
    return (f"{totals['commands']} commands in {totals['entries']} entries: {totals['passed']} passed, "
            f"{totals['cached']} cached, {totals['failed']} failed, {totals['unverified']} unverified "
            f"({totals['seconds']:.1f} s)")


def command_block(entry: Entry, index: int, res: CommandResult) -> tuple[str, str, str, list[str]]:
    """What `faqkb try` shows for one command: the command, its output, a status, the failures."""
    cmd = entry.commands[index]
    status = f"[{_MARKS[res.status]}, exit {res.exit_code}, {res.seconds:.2f} s]"
    reasons = [_indent(f, "  ") for f in res.why]
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
