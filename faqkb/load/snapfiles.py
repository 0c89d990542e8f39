"""The FAQ directory's ``<id>.snap`` files: read each, attach it to its entry, and report what
is wrong (a malformed line, a file of no entry) or stale (a section of a command that is gone,
changed or moved; a file of an entry with no ``snapshot: true`` command)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from faqkb._util import did_you_mean
from faqkb.errors import Kind, Problem
from faqkb.load import located
from faqkb.model import SNAP_SUFFIX, Entry
from faqkb.snapshots.fileformat import MAX_SNAP_BYTES, Section, parse, why_stale


def snap_files(faq_dir: Path) -> list[Path]:
    """The snapshot files of ``faq_dir``, by name."""
    return sorted(faq_dir.glob("*" + SNAP_SUFFIX))


def attach_snapshots(faq_dir: Path, known: list[str], entries: dict[str, Entry]) -> list[Problem]:
    """Give each entry in ``entries`` (replaced in place) its parsed ``.snap`` file; return the
    problems. ``known`` are the stems of every entry file, valid or not."""
    problems: list[Problem] = []
    for path in snap_files(faq_dir):
        stem = path.name[: -len(SNAP_SUFFIX)]
        if stem not in known:
            hint = did_you_mean(stem, known, show=lambda s: repr(s + SNAP_SUFFIX), otherwise="")
            problems.append(Problem(str(path), 1, 1, f"snapshot file of no entry (there is no "
                                    f"{stem}.yml); rename it after its entry's id"
                                    f"{f' ({hint})' if hint else ''}, or delete it"))
            continue
        text, unreadable = located.read_source(path, MAX_SNAP_BYTES)
        if text is None:
            assert unreadable is not None
            problems.append(unreadable)
            continue
        snap, bad = parse(text, path)
        problems += bad
        entry = entries.get(stem)
        if entry is None or bad:  # an invalid entry has its own problems; a bad file is not used
            continue
        problems += _stale(entry, snap.sections, path)
        entries[stem] = dataclasses.replace(entry, snapshots=snap)
    return problems


def _stale(entry: Entry, sections: tuple[Section, ...], path: Path) -> list[Problem]:
    """A problem for each section no command of ``entry`` records any more."""
    update = f"`faqkb verify --update {entry.id}` removes it"
    if not any(c.snapshot is not None for c in entry.commands):
        return [Problem(str(path), 1, 1, f"stale: entry {entry.id!r} has no `snapshot: true` "
                        f"command; delete this file ({update})", Kind.SNAPSHOT)]
    out = []
    for sec in sections:
        why = why_stale(sec, entry)
        if why:
            out.append(Problem(str(path), sec.line, 1, f"stale section of command {sec.index + 1}: "
                               f"{why}; {update} and records the command anew", Kind.SNAPSHOT))
    return out
