"""A command's result against its recorded snapshot: equal after masking, or a failure with a
unified diff that every report (terminal, JUnit, ``--json``, the page) shows as it is."""

from __future__ import annotations

import difflib

from faqkb.model import Command, Entry
from faqkb.results import FAILED, PASSED, CommandResult
from faqkb.snapshots.fileformat import Section, body_lines, command_key, label_for, why_stale
from faqkb.snapshots.masks import normalize

#: The streams a snapshot records for each ``show:``: what the page shows, each stream apart
#: (how two streams interleave is up to the scheduler; each stream's own order is not).
SHOWN = {"both": ("stdout", "stderr"), "stdout": ("stdout",), "stderr": ("stderr",), "none": ()}
#: Lines of diff a failure carries; the rest is counted.
MAX_DIFF_LINES = 40


def completed(res: CommandResult) -> bool:
    """True when the command ran to its end here (not timed out, not skipped), so its output
    is whole and may be recorded or compared."""
    return res.status in (PASSED, FAILED) and not res.timed_out and res.exit_code is not None


def fresh_section(cmd: Command, index: int, res: CommandResult) -> Section:
    """The section a snapshot file would record for ``res``."""
    masks = cmd.snapshot.masks if cmd.snapshot else ()
    streams = [(name, tuple(normalize(getattr(res, name), masks))) for name in SHOWN[cmd.show]]
    return Section(index, command_key(cmd), label_for(cmd), str(res.exit_code),
                   tuple((name, lines) for name, lines in streams if lines))


def canonical(section: Section, masks: tuple[str, ...]) -> list[str]:
    """A section's body as it compares: masked again (a hand-pasted real output compares
    equal to its masked form), in the file's canonical layout."""
    streams = [(name, normalize("\n".join(lines), masks)) for name, lines in section.streams]
    return body_lines(section.exit, streams)


def mismatch(entry: Entry, index: int, res: CommandResult) -> str | None:
    """Why ``res`` does not match the snapshot of command ``index`` (None when it does)."""
    cmd = entry.commands[index]
    update = f"`faqkb verify --update {entry.id}`"
    name = entry.snap_path.name
    recorded = entry.snapshots.section(index) if entry.snapshots else None
    if recorded is None:
        key = command_key(cmd)
        moved = [s for s in entry.snapshots.sections if s.key == key] if entry.snapshots else []
        where = (f" ({name}:{moved[0].line} has it as command {moved[0].index + 1}: the commands "
                 "were reordered)") if moved else ""
        return f"no snapshot yet{where}; run {update}"
    stale = why_stale(recorded, entry)
    if stale:
        return (f"no snapshot yet of this command: the section at {name}:{recorded.line} is stale "
                f"({stale}); run {update}")
    masks = cmd.snapshot.masks if cmd.snapshot else ()
    before = canonical(recorded, masks)
    fresh = fresh_section(cmd, index, res)
    now = body_lines(fresh.exit, fresh.streams)
    if before == now:
        return None
    diff = list(difflib.unified_diff(before, now, f"{name}:{recorded.line} (recorded)", "this run",
                                     lineterm="", n=2))
    if len(diff) > MAX_DIFF_LINES:
        more = len(diff) - MAX_DIFF_LINES
        diff = [*diff[:MAX_DIFF_LINES],
                f"[... {more} more lines of diff; `faqkb try {entry.id}` shows the whole output]"]
    return (f"output differs from its snapshot ({name}:{recorded.line}); if the new output is "
            f"right, record it with {update}\n" + "\n".join(diff))


def check(entry: Entry, index: int, res: CommandResult) -> None:
    """Fail ``res`` (in place) when its command is a snapshot command whose output differs
    from the recorded one; a command that did not run to its end is left as it is."""
    if entry.commands[index].snapshot is None or not completed(res):
        return
    why = mismatch(entry, index, res)
    if why:
        res.failures.append(why)
        res.status = FAILED
