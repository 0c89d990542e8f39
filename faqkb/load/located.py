"""Safe YAML loading that remembers where every value came from.

PyYAML's ``safe_load`` silently keeps the last of two duplicate keys, expands
aliases without limit and forgets positions. Entries are small hand-written
files, so we compose the node tree ourselves and build plain Python values from
it: duplicate keys become problems, aliases are refused (an entry never needs
them, and refusing them rules out alias bombs), and every value's position is
kept so later checks can point at the exact line and column.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from faqkb.errors import Problem
from faqkb.load.yamlhints import key_hint, syntax_hint

KeyPath = tuple[str | int, ...]

# Tags a hand-written entry may legitimately resolve to. Anything else
# (``!!python/object``, custom ``!tags``, timestamps, binary) is refused.
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MAX_NODES = 100_000
#: The largest entry or side file read (the biggest shipped entry is under 10 KB).
MAX_FILE_BYTES = 256 * 1024


@dataclass
class Located:
    """A loaded document plus the 1-based (line, col) of each value and mapping key."""

    path: str
    data: Any = None
    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def where(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Best position for ``path``: the key (if asked and known), else the value,
        else the nearest ancestor that has one."""
        p = tuple(path)
        while True:
            if key and p in self.keys:
                return self.keys[p]
            if p in self.values:
                return self.values[p]
            if not p:
                return (1, 1)
            p = p[:-1]

    def problem(self, path: KeyPath, message: str, *, key: bool = False) -> Problem:
        """A problem located at ``path``."""
        line, col = self.where(path, key=key)
        return Problem(self.path, line, col, message)


def _pos(mark: yaml.Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of character ``offset`` in ``text``."""
    offset = max(0, min(offset, len(text)))
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


class _Builder:
    def __init__(self, doc: Located, loader: Any) -> None:
        self.doc = doc
        self.loader = loader
        self.count = 0

    def build(self, node: yaml.Node, path: KeyPath) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise _Abort(node, f"document is too large (more than {_MAX_NODES} values)")
        self.doc.values[path] = _pos(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise _Abort(node, f"unsupported YAML tag {node.tag!r}; remove it")
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise _Abort(node, f"unsupported YAML tag {node.tag!r}; write a plain value instead")
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, TypeError, OverflowError) as exc:
            # `!!int abc`, `!!bool maybe`, a 5,000-digit number: the tag or the implicit type
            # says what the text cannot be.
            kind = node.tag.rsplit(":", 1)[-1]
            shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
            raise _Abort(node, f"cannot read {shown!r} as {kind} ({type(exc).__name__}); "
                         "quote it to make it text, or write a valid value") from None

    def _mapping(self, node: yaml.MappingNode, path: KeyPath) -> dict[Any, Any]:
        if node.tag != "tag:yaml.org,2002:map":
            raise _Abort(node, f"unsupported YAML tag {node.tag!r}; remove it")
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _Abort(key_node, "merge keys (<<) are not supported; write the fields out")
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Abort(key_node, "mapping keys must be plain strings")
            key = str(key_node.value)
            if key in out:
                first = self.doc.keys[(*path, key)]
                self.doc.problems.append(
                    Problem(
                        self.doc.path,
                        *_pos(key_node.start_mark),
                        f"duplicate key {key!r} (first defined at line {first[0]}); "
                        "remove one of them",
                    )
                )
                continue
            self.doc.keys[(*path, key)] = _pos(key_node.start_mark)
            out[key] = self.build(value_node, (*path, key))
        return out


class _Abort(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        self.node = node
        self.message = message


# libyaml is about twenty times faster than the pure-Python parser (a warm build parses
# every entry); both give the same nodes and marks.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")


def _first_alias(text: str) -> tuple[int, int] | None:
    """Where the first alias (``*name``) is, found before any node is built from it."""
    if not _MAYBE_ALIAS.search(text):  # cheap: an alias is `*name` after a space or [ , { : -
        return None
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
            return (event.start_mark.line + 1, event.start_mark.column + 1)
    return None


def load(text: str, path: str) -> Located:
    """Parse ``text`` (from ``path``) into a :class:`Located`; never raises on bad input."""
    doc = Located(path)
    loader = _Loader(text)
    try:
        alias = _first_alias(text)
        if alias is not None:
            doc.problems.append(
                Problem(path, *alias, "YAML aliases (*name) are not supported in entries; "
                        "write the value out")
            )
            return doc
        node = loader.get_single_node()
        if node is None:
            doc.problems.append(Problem(path, 1, 1, "file is empty; write an entry mapping"))
            return doc
        doc.data = _Builder(doc, loader).build(node, ())
    except _Abort as exc:
        at = _pos(exc.node.start_mark)
        hint = key_hint(text, at) if exc.message.startswith("mapping keys") else None
        doc.problems.append(Problem(path, *at, f"{exc.message}; {hint}" if hint else exc.message))
        doc.data = None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = _pos(mark) if mark else (1, 1)
        opened = _pos(exc.context_mark) if exc.context_mark else None
        hinted = syntax_hint(text, exc.problem or "", exc.context or "", at, opened)
        what = " ".join(s for s in (exc.context, exc.problem) if s)
        at, what = hinted or (at, what)
        doc.problems.append(Problem(path, *at, f"YAML syntax error: {what}"))
        doc.data = None
    except yaml.reader.ReaderError as exc:  # a control or NUL character: it has an offset only
        line, col = position(text, exc.position)
        char = exc.character
        code = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        doc.problems.append(Problem(path, line, col, f"a control character ({code}) is not allowed "
                                    "in YAML; remove it, or write it as an escape (\\x01) in a "
                                    "double-quoted string"))
        doc.data = None
    except yaml.YAMLError as exc:
        doc.problems.append(Problem(path, 1, 1, f"YAML error: {exc}"))
        doc.data = None
    except RecursionError:  # deeply nested flow collections
        doc.problems.append(Problem(path, 1, 1, "document is nested too deeply; flatten it"))
        doc.data = None
    finally:
        loader.dispose()
    return doc


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> tuple[str | None, Problem | None]:
    """The text of a hand-written file, or why it cannot be one: not a regular file (a FIFO,
    a device, a directory, a dangling link), larger than ``max_bytes``, or not UTF-8.

    Opened without blocking and checked before reading, so ``/dev/zero`` or a FIFO named
    ``x.yml`` can neither hang nor exhaust memory.
    """
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return None, Problem(where, 1, 1, f"cannot read this file ({exc.strerror}); fix or remove it")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, Problem(where, 1, 1, "not a regular file; an entry must be a plain YAML file")
        if st.st_size > max_bytes:
            return None, Problem(where, 1, 1, f"file is {st.st_size} bytes, more than the "
                                 f"{max_bytes} allowed; shorten it (long scripts go in snippets/)")
        data = os.read(fd, max_bytes + 1)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # it grew while we looked
        return None, Problem(where, 1, 1, f"file is larger than {max_bytes} bytes; shorten it")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line, col = position(data[: exc.start].decode("utf-8", "replace"), exc.start)
        return None, Problem(where, line, col, f"not UTF-8 text ({exc.reason}); re-save it as UTF-8")
