"""Entries in the wrong place: entry-shaped YAML files outside the FAQ folder.

The loader reads only ``<faq_dir>/*.yml``; an entry written anywhere else (``docs/x.yml``,
``docs/faq/git/x.yml``) would be silently left out of the KB, and MkDocs would publish its
raw YAML. Such files are problems, so lint and builds say where the entry belongs.

"Entry-shaped" is judged from the text, not from parsed YAML, so that a misplaced entry
with a syntax error is found too: two of ``id``, ``question``, ``answer``, ``commands`` as
keys at the start of a line (top-level keys of a mapping).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from faqkb.errors import Problem
from faqkb.load.located import read_source

_ENTRY_KEYS = re.compile(r"^(id|question|answer|commands)[ \t]*:(?=\s|$)", re.MULTILINE)
YAML_SUFFIXES = (".yml", ".yaml")


def looks_like_entry(text: str) -> bool:
    """True when ``text`` has at least two of an entry's top-level keys."""
    return len({m.group(1) for m in _ENTRY_KEYS.finditer(text)}) >= 2


def looks_like_entry_file(path: Path) -> bool:
    """True for a readable ``.yml``/``.yaml`` file whose text :func:`looks_like_entry`."""
    if not path.name.endswith(YAML_SUFFIXES):
        return False
    text, _ = read_source(path)  # unreadable, huge or binary: not something to call an entry
    return text is not None and looks_like_entry(text)


def misplaced(path: Path, faq_dir: Path, shown: str) -> Problem:
    """The problem of an entry-shaped file at ``path``, outside ``faq_dir`` (named ``shown``)."""
    return Problem(str(path), 1, 1, f"this looks like an FAQ entry but is outside {shown} (the FAQ "
                   f"folder), so it is not part of the KB; move it into {shown}/")


def shown_faq_dir(faq_dir: Path, root: Path) -> str:
    """The FAQ folder as messages name it: relative to the project root when inside it."""
    return faq_dir.relative_to(root).as_posix() if faq_dir.is_relative_to(root) else str(faq_dir)


def stray_entries(faq_dir: Path, docs_dir: Path | None, root: Path) -> list[Problem]:
    """Every entry-shaped YAML file under ``docs_dir`` or in a sub-folder of ``faq_dir`` that
    is not one of the FAQ folder's own files.

    Hidden files and folders are skipped: MkDocs does not publish them either.
    """
    shown = shown_faq_dir(faq_dir, root)
    seen: set[Path] = set()
    problems = []
    for base in (docs_dir, faq_dir):
        if base is None or not base.is_dir():
            continue
        for here, dirs, names in os.walk(base):  # symlinked folders are not followed
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            folder = Path(here)
            if folder == faq_dir:
                continue  # the KB's own files: the loader reads them
            for name in sorted(names):
                path = folder / name
                if name.startswith(".") or path in seen or not name.endswith(YAML_SUFFIXES):
                    continue
                seen.add(path)
                if looks_like_entry_file(path):
                    problems.append(misplaced(path, faq_dir, shown))
    return problems
