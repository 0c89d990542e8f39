"""``faqkb verify --update``: write what the snapshot commands printed into their ``.snap`` files.

Run after a verification made with ``check_snapshots=False``. Per entry, all or nothing: an
entry is recorded only when every one of its commands met its other expectations (``--force``
records the commands that ran to their end anyway), so a broken run never replaces a good
snapshot. Each file is written atomically, and only when its text changes; a section no
command records any more is dropped; the file of an entry with no snapshot command is removed.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from faqkb._util import atomic_write
from faqkb.model import Entry, KnowledgeBase
from faqkb.results import EntryResult
from faqkb.snapshots.compare import completed, fresh_section
from faqkb.snapshots.fileformat import MAX_SNAP_BYTES, Section, digest, render, why_stale


@dataclass
class Recorded:
    """What ``--update`` did: one line per entry, and whether any entry was left unrecorded."""

    lines: list[str] = field(default_factory=list)
    refused: bool = False


def has_snapshots(entry: Entry) -> bool:
    """True when some command of ``entry`` has ``snapshot:``."""
    return any(c.snapshot is not None for c in entry.commands)


def update_targets(kb: KnowledgeBase, ids: list[str] | None) -> tuple[list[str], list[str]]:
    """The entries ``--update`` works on (those with a snapshot command or a ``.snap`` file to
    remove), and the named ones it cannot (no snapshot command, no file)."""
    wanted = ids if ids is not None else sorted(kb.entries)
    todo = [i for i in wanted if has_snapshots(kb.entries[i]) or kb.entries[i].snapshots is not None]
    return todo, [i for i in wanted if i not in todo]


def record(kb: KnowledgeBase, results: dict[str, EntryResult], ids: list[str], *,
           force: bool = False) -> Recorded:
    """Record the snapshots of ``ids`` from ``results`` (see the module docstring)."""
    out = Recorded()
    for entry_id in ids:
        entry = kb.entries[entry_id]
        path = entry.snap_path
        if not has_snapshots(entry):
            if entry.snapshots is not None and _unchanged_since_load(entry):
                path.unlink()
                out.lines.append(f"removed {path}: entry {entry_id!r} has no `snapshot: true` command")
            continue
        er = results.get(entry_id)
        if er is None:
            continue
        bad = [c.index + 1 for c in er.commands if not c.ok]
        if bad and not force:
            out.refused = True
            out.lines.append(f"{path} NOT recorded: command{'s' * (len(bad) > 1)} "
                             f"{', '.join(map(str, bad))} failed (see above), so the old snapshot "
                             "stays; fix the entry, or record its output anyway with --force")
            continue
        sections, notes = _sections(entry, er)
        text = render(entry_id, sections)
        size = len(text.encode("utf-8"))
        if size > MAX_SNAP_BYTES:
            out.refused = True
            out.lines.append(f"{path} NOT recorded: {size} bytes of output, more than the "
                             f"{MAX_SNAP_BYTES} a snapshot file may hold; record less (| head, "
                             "show: stdout)")
            continue
        before = entry.snapshots
        if before is not None and before.digest == digest(text):
            out.lines.append(f"{path} is up to date ({_count(len(sections))})")
            continue
        if not _unchanged_since_load(entry):
            out.refused = True
            out.lines.append(f"{path} NOT recorded: it changed while the commands ran; run again")
            continue
        atomic_write(path, text)
        out.lines.append(f"recorded {path}: {_changes(entry, sections)}{notes}")
    return out


def _sections(entry: Entry, er: EntryResult) -> tuple[list[Section], str]:
    """The sections to write: each snapshot command's new output, or (``--force`` with a
    command that did not finish) its old section while that still fits the command."""
    results = {c.index: c for c in er.commands}
    sections, kept = [], []
    for i, cmd in enumerate(entry.commands):
        if cmd.snapshot is None:
            continue
        res = results.get(i)
        if res is not None and completed(res):
            sections.append(fresh_section(cmd, i, res))
            continue
        old = entry.snapshots.section(i) if entry.snapshots else None
        if old is not None and why_stale(old, entry) is None:
            sections.append(old)
        kept.append(str(i + 1))
    note = (f" (command{'s' * (len(kept) > 1)} {', '.join(kept)} did not run to the end: not "
            "recorded)") if kept else ""
    return sections, note


def _changes(entry: Entry, sections: list[Section]) -> str:
    """``command 2 new, command 3 changed, 1 stale section removed``."""
    old = {(s.index, s.key): s for s in entry.snapshots.sections} if entry.snapshots else {}
    words = []
    for sec in sections:
        prev = old.get((sec.index, sec.key))
        if prev is None:
            words.append(f"command {sec.index + 1} new")
        elif (prev.exit, prev.streams) != (sec.exit, sec.streams):
            words.append(f"command {sec.index + 1} changed")
    gone = len(set(old) - {(s.index, s.key) for s in sections})
    if gone:
        words.append(f"{gone} stale section{'s' * (gone > 1)} removed")
    return ", ".join(words) or "layout refreshed"


def _count(n: int) -> str:
    return f"{n} command{'s' * (n != 1)}"


def _unchanged_since_load(entry: Entry) -> bool:
    """True when the ``.snap`` file is still what the loader read (or still absent): a file
    someone edited while the commands ran is never overwritten."""
    text: str | None = None
    with contextlib.suppress(FileNotFoundError):
        text = entry.snap_path.read_text("utf-8")
    if entry.snapshots is None:
        return text is None
    return text is not None and digest(text) == entry.snapshots.digest
