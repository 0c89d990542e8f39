"""Schema-driven mutants of real entries: every field path given every hostile value.

Shared by the test (a sample of entries) and ``bench/mutation.py`` (the whole knowledge base).
A mutant is the entry's data with one value replaced (or deleted, or a sibling added),
dumped back to YAML; raw tokens (YAML tags, control bytes, huge numbers) are spliced into
the text where a marker value was dumped, so the line of the cause is known exactly.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MARK = "__FAQKB_MUTANT__"
#: (kind, value) put at a path as data, or (kind, raw YAML token) spliced into the text.
DATA_VALUES: list[tuple[str, Any]] = [
    ("int", 42), ("float", 3.14), ("bool", True), ("null", None), ("empty-string", ""),
    ("list", ["a", "b"]), ("dict", {"k": "v"}), ("long-string", "x" * 200_000),
    ("escaped-control", "a\0b\x01c\x07d\x1b[31me\x7f"),
]
RAW_TOKENS: list[tuple[str, str]] = [
    ("raw-control-byte", '"bad \x01 byte"'), ("raw-nul-byte", "bad \x00 byte"),
    ("int-tag", "!!int abc"), ("float-tag", "!!float abc"), ("bool-tag", "!!bool maybe"),
    ("huge-int", "9" * 5000),
]


@dataclass(frozen=True)
class Mutant:
    """One mutated entry text and the lines a problem about it may point at."""

    label: str
    text: str
    lines: range


Path_ = tuple[str | int, ...]


def _paths(data: Any, path: Path_ = ()) -> Iterator[Path_]:
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, (*path, k))
    elif isinstance(data, list):
        idx = sorted({0, len(data) - 1}) if data else []
        for i in idx:
            yield from _paths(data[i], (*path, i))


def _set(data: Any, path: Path_, value: Any) -> Any:
    root = copy.deepcopy(data)
    node = root
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return root


def _dump(data: Any) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=10**9)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def mutants(source: str) -> Iterator[Mutant]:
    """Every mutant of the entry text ``source``."""
    data = yaml.safe_load(source)
    for path in _paths(data):
        if not path:
            continue
        label = ".".join(str(p) for p in path)
        for kind, value in DATA_VALUES:
            marked = _dump(_set(data, path, MARK))
            line = _line_of(marked, MARK)
            text = _dump(_set(data, path, value))
            yield Mutant(f"{label}={kind}", text, range(line - 1, line + 2 + text.count("\n")
                                                        if kind in ("list", "dict") else line + 2))
        marked = _dump(_set(data, path, MARK))
        line = _line_of(marked, MARK)
        for kind, token in RAW_TOKENS:
            yield Mutant(f"{label}={kind}", marked.replace(f"'{MARK}'", token).replace(MARK, token),
                         range(line - 1, line + 2))
        parent = path[:-1]
        node = data
        for part in parent:
            node = node[part]
        if isinstance(node, dict):
            removed = copy.deepcopy(data)
            target = removed
            for part in parent:
                target = target[part]
            del target[path[-1]]
            text = _dump(removed)
            yield Mutant(f"{label}=deleted", text, range(1, text.count("\n") + 2))
    for path in _paths(data):
        node = data
        for part in path:
            node = node[part]
        if isinstance(node, dict):
            added = _set(data, (*path, "zz_unknown_field"), 1) if path else {**data, "zz_unknown_field": 1}
            text = _dump(added)
            line = _line_of(text, "zz_unknown_field")
            yield Mutant(f"{'.'.join(map(str, path)) or 'entry'}+unknown", text, range(line - 1, line + 2))


@dataclass
class Sweep:
    """What running mutants through the loader gave."""

    tried: int = 0
    crashes: list[str] = field(default_factory=list)
    misplaced: list[str] = field(default_factory=list)


def stand_in_faq(src: Path, dest: Path) -> None:
    """``dest`` as a FAQ folder with ``src``'s side files and an empty stand-in for every entry,
    so links and see_also to the others resolve while only the mutated entry is loaded."""
    dest.mkdir(parents=True, exist_ok=True)
    for side in ("_sections.yml", "_tags.yml"):
        shutil.copy(src / side, dest / side)
    for other in src.glob("[!_]*.yml"):
        (dest / other.name).write_text("")


def sweep(source: str, target: Path, snippets: Path, into: Sweep | None = None) -> Sweep:
    """Write every mutant of ``source`` to ``target`` in turn and load its FAQ folder: a crash
    is anything but a ContentError; misplaced, a problem more than a line from its cause."""
    from faqkb.errors import ContentError
    from faqkb.load.loader import load_kb

    out = into or Sweep()
    for m in mutants(source):
        out.tried += 1
        target.write_text(m.text)
        try:
            load_kb(target.parent, snippets)
        except ContentError as exc:
            mine = [p for p in exc.problems if p.path == str(target)]
            if mine and not any(p.line in m.lines for p in mine):
                out.misplaced.append(f"{target.stem} {m.label}: {str(mine[0])[-160:]}")
        except Exception as exc:  # the point: nothing else may escape
            out.crashes.append(f"{target.stem} {m.label}: {type(exc).__name__}: {exc}"[:200])
    target.write_text("")
    return out
