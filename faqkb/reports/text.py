"""Plain-text views for the terminal: verification failures, summaries, one entry.

The CLI, the MkDocs plugin and the pytest plugin only print these, so each failure is
worded one way everywhere: ``path:line: entry 'id', command N FAILED: command`` and
then, indented, why (:attr:`faqkb.results.CommandResult.why`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from faqkb import placeholders
from faqkb._util import plural
from faqkb.model import Command, Entry, KnowledgeBase
from faqkb.results import CommandResult, EntryResult, Status
from faqkb.run.shellwords import with_prompts

_MARKS = {Status.PASSED: "ok", Status.FAILED: "FAILED", Status.UNVERIFIED: "NOT RUN",
          Status.CACHED: "cached"}


def _indent(text: str, prefix: str) -> str:
    return prefix + text.replace("\n", "\n" + prefix)


def command_text(cmd: Command) -> str:
    """The whole command as the page shows it (as a reader types it)."""
    return placeholders.for_page(cmd.run).strip("\n")


def command_name(cmd: Command) -> str:
    """How every report names a command: its ``title``, else its first line as the page shows
    it, whole (`` ...`` when more lines follow)."""
    if cmd.title:
        return cmd.title
    lines = command_text(cmd).split("\n")
    return lines[0] + (" ..." if len(lines) > 1 else "")


def relative_path(path: Path, root: Path) -> str:
    """``path`` relative to the project root (reports must not depend on the checkout's place)."""
    return os.path.relpath(path, root)


def failure_head(entry: Entry, c: CommandResult) -> str:
    """``path:line: entry 'id', command N FAILED: name``: where the failing command is."""
    cmd = entry.commands[c.index]
    return (f"{entry.path}:{cmd.line}: entry {entry.id!r}, command {c.index + 1} "
            f"{c.status.upper()}: {command_name(cmd)}")


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
    return (f"faqkb: {plural(len(bare), 'entry', 'entries')} ran WITHOUT the sandbox ({names}): "
            f"{reasons}. Their commands could write outside their sandbox and reach faqkb's "
            "processes.")


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
    return (f"{plural(totals['commands'], 'command')} in {plural(totals['entries'], 'entry', 'entries')}: "
            f"{totals['passed']} passed, "
            f"{totals['cached']} cached, {totals['failed']} failed, {totals['unverified']} unverified "
            f"({totals['seconds']:.1f} s)")


def command_block(entry: Entry, index: int, res: CommandResult) -> tuple[str, str, str, list[str]]:
    """What `faqkb try` shows for one command: the command (under its title, if it has one),
    its output, a status, the failures."""
    cmd = entry.commands[index]
    if res.timed_out:
        status = f"[{_MARKS[res.status]}, timed out after {cmd.timeout:g} s, {res.seconds:.2f} s]"
    elif res.exit_code is None:  # never ran: the reason says why
        status = f"[{_MARKS[res.status]}: {res.reason or 'not run'}]"
    else:
        status = f"[{_MARKS[res.status]}, exit {res.exit_code}, {res.seconds:.2f} s]"
    reasons = [_indent(f, "  ") for f in res.why if f != res.reason or res.exit_code is not None]
    head = f"command {index + 1}: {cmd.title}\n" if cmd.title else ""
    return head + with_prompts(command_text(cmd)), res.combined.rstrip(), status, reasons


def entry_json(e: Entry) -> dict[str, Any]:
    """An entry as `faqkb show --json` prints it (commands as a reader types them)."""
    return {"id": e.id, "section": e.section, "question": e.question, "answer": e.answer,
            "tags": list(e.tags), "aliases": list(e.aliases), "see_also": list(e.see_also),
            "commands": [placeholders.for_page(c.run) for c in e.commands]}


def entry_text(e: Entry) -> tuple[str, str]:
    """An entry for the terminal: its question (a heading) and the rest."""
    body = [f"[{e.section}] {' '.join('#' + t for t in e.tags)}", "", e.answer.strip()]
    body += ["\n" + _indent(with_prompts(command_text(c)), "  ") for c in e.commands]
    if e.see_also:
        body += ["", "See also: " + ", ".join(e.see_also)]
    return e.question, "\n".join(body)
