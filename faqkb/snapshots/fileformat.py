"""The ``<id>.snap`` file: one section per ``snapshot: true`` command, plain text to review in a
diff and to edit by hand.

::

    # faqkb snapshots of entry cert-dummy ...            <- comments: a '#' in column 1
    === command 2 (run 5e0c1a7f): Check the dates        <- command number, hash of its run text
    exit: 0
    stdout:
      notBefore=[DATE]                                   <- output, indented by two spaces
      notAfter=[DATE]
    stderr:
      ...

A section is keyed twice: by the command's number and by a hash of its ``run`` text, so a
changed or reordered command is noticed rather than compared with another command's output.
The text after the key (a title, or the command's first line) is only for the reader. Blank
lines inside a stream are empty output lines; blank lines at its end and trailing spaces are
not part of the output, so an editor that strips them changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from faqkb import placeholders
from faqkb._util import printable
from faqkb.errors import Problem
from faqkb.model import Command, Entry

STREAMS = ("stdout", "stderr")
#: The largest snapshot file faqkb reads or writes (an entry file may hold 256 KiB; recorded
#: output is bulkier, and each stream is cut at 1000 lines already).
MAX_SNAP_BYTES = 4 * 1024 * 1024
INDENT = "  "
_HEADER = re.compile(r"=== command (\d+) \(run ([0-9a-f]{8})\)(?:: ?(.*))?")
_LABEL_CHARS = 80


@dataclass(frozen=True)
class Section:
    """What one command printed, as recorded (``index`` counts from 0, ``line`` from 1)."""

    index: int
    key: str
    label: str
    exit: str
    #: (stream name, its lines) in the order the file has them; streams with no output are left out.
    streams: tuple[tuple[str, tuple[str, ...]], ...] = ()
    line: int = 0


@dataclass(frozen=True)
class SnapFile:
    """An entry's ``.snap`` file: its sections and a digest of its text (for cache keys)."""

    path: Path
    sections: tuple[Section, ...]
    digest: str

    def section(self, index: int) -> Section | None:
        """The section recorded for command ``index`` (0-based), if any."""
        return next((s for s in self.sections if s.index == index), None)


def command_key(cmd: Command) -> str:
    """The stable key of a command: a short hash of its ``run`` text."""
    return hashlib.sha256(cmd.run.encode("utf-8")).hexdigest()[:8]


def label_for(cmd: Command) -> str:
    """What a section header says about its command: the title, or the command's first line."""
    lines = placeholders.for_page(cmd.run).strip().splitlines() or [""]
    text = cmd.title or (lines[0] + (" ..." if len(lines) > 1 else ""))
    text = printable(" ".join(text.split()))
    return text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 3] + "..."


def header(section: Section) -> str:
    """The section's first line: ``=== command N (run KEY): label``."""
    label = f": {section.label}" if section.label else ""
    return f"=== command {section.index + 1} (run {section.key}){label}"


def body_lines(exit_status: str, streams: Iterable[tuple[str, Iterable[str]]]) -> list[str]:
    """A section's body: its exit status, then each non-empty stream with its lines indented."""
    out = [f"exit: {exit_status}"]
    for name, lines in streams:
        lines = list(lines)
        if lines:
            out.append(f"{name}:")
            out += [INDENT + ln if ln else "" for ln in lines]
    return out


def render(entry_id: str, sections: Iterable[Section]) -> str:
    """The whole file for ``entry_id``, sections in command order."""
    out = [
        f"# faqkb snapshots of entry {entry_id}: what its `snapshot: true` commands printed,",
        "# with the parts that change from run to run masked ([DATE], [HEX], [PORT], ...).",
        f"# Re-record: faqkb verify --update {entry_id}  (then review the diff and commit it).",
        "# Output lines are indented by two spaces.",
    ]
    for sec in sorted(sections, key=lambda s: s.index):
        out += ["", header(sec), *body_lines(sec.exit, sec.streams)]
    return "\n".join(out) + "\n"


def digest(text: str) -> str:
    """The hash of a snapshot file's text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _Open:
    """A section being read."""

    index: int
    key: str
    label: str
    line: int
    exit: str | None = None
    streams: dict[str, list[str]] | None = None
    stream: str | None = None

    def close(self) -> Section:
        streams = []
        for name, lines in (self.streams or {}).items():
            while lines and not lines[-1]:
                lines.pop()
            if lines:
                streams.append((name, tuple(lines)))
        return Section(self.index, self.key, self.label, self.exit or "", tuple(streams), self.line)


def parse(text: str, path: Path) -> tuple[SnapFile, list[Problem]]:
    """Read a snapshot file: every well-formed section, and a problem for each line that is not."""
    where = str(path)
    problems: list[Problem] = []
    sections: list[Section] = []
    first_line: dict[int, int] = {}
    cur: _Open | None = None

    def problem(n: int, message: str) -> None:
        problems.append(Problem(where, n, 1, message))

    def close() -> None:
        if cur is None:
            return
        if cur.exit is None:
            problem(cur.line, f"the section of command {cur.index + 1} has no `exit:` line; add "
                    "`exit: N` under its header")
        elif cur.index in first_line:
            problem(cur.line, f"a second section for command {cur.index + 1} (the first is at line "
                    f"{first_line[cur.index]}); keep one")
        else:
            first_line[cur.index] = cur.line
            sections.append(cur.close())

    for n, raw in enumerate(text.replace("\r\n", "\n").split("\n"), 1):
        line = raw.rstrip()
        if line.startswith("#"):
            continue
        if line.startswith("="):
            close()
            cur = None
            m = _HEADER.fullmatch(line)
            if m is None or int(m.group(1)) < 1:
                problem(n, "a section header reads `=== command N (run KEY): label` (N counts "
                        "from 1, KEY is 8 hex digits); re-record it with `faqkb verify --update`")
                continue
            cur = _Open(int(m.group(1)) - 1, m.group(2), m.group(3) or "", n)
        elif not line:
            if cur is not None and cur.stream is not None and cur.streams is not None:
                cur.streams[cur.stream].append("")
        elif cur is None:
            problem(n, "text before the first section; sections start with `=== command N (run "
                    "KEY): label`, comments with #")
        elif line.startswith(INDENT):
            if cur.stream is None or cur.streams is None:
                problem(n, "an output line outside a `stdout:` or `stderr:` block; put it under one")
            else:
                cur.streams[cur.stream].append(line[len(INDENT):])
        elif line[0].isspace():
            problem(n, "output lines are indented by exactly two spaces")
        elif line in ("stdout:", "stderr:"):
            name = line[:-1]
            cur.streams = cur.streams if cur.streams is not None else {}
            if name in cur.streams:
                problem(n, f"a second `{name}:` block in this section; keep one")
                cur.stream = None
                continue
            cur.streams[name] = []
            cur.stream = name
        elif line.startswith("exit:"):
            value = line[5:].strip()
            if not (value.isdigit() and int(value) <= 255):
                problem(n, f"exit must be a status 0-255 (got {value[:20]!r})")
            elif cur.exit is not None:
                problem(n, "a second `exit:` line in this section; keep one")
            else:
                cur.exit = value
            cur.stream = None
        else:
            problem(n, "expected `exit: N`, `stdout:`, `stderr:` or output indented by two spaces")
    close()
    return SnapFile(path, tuple(sections), digest(text)), problems


def why_stale(section: Section, entry: Entry) -> str | None:
    """Why ``section`` no longer belongs to any command of ``entry`` (None if it still does)."""
    cmds = entry.commands
    i = section.index
    if i < len(cmds) and cmds[i].snapshot is not None and command_key(cmds[i]) == section.key:
        return None
    moved = [j for j, c in enumerate(cmds) if c.snapshot is not None and command_key(c) == section.key]
    if moved:
        return (f"it was recorded for what is now command {moved[0] + 1} (the commands were "
                "reordered)")
    if i >= len(cmds):
        return f"the entry has {len(cmds)} command{'s' * (len(cmds) != 1)} now (it was removed)"
    if cmds[i].snapshot is None:
        return f"command {i + 1} has no `snapshot: true` any more"
    return f"command {i + 1} has another run text now (it was changed)"
