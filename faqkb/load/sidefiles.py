"""The FAQ directory's side files: ``_sections.yml`` (sections, titles, reading order)
and ``_tags.yml`` (the controlled tag vocabulary)."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from faqkb._util import did_you_mean
from faqkb.errors import Problem
from faqkb.load import located
from faqkb.model import SECTIONS_FILE, TAGS_FILE, Section


@dataclass
class Sections:
    """The sections in order, and where each was written (to point problems at its lines)."""

    sections: list[Section] = field(default_factory=list)
    #: Section id -> the sections file and the index of the section in it.
    where: dict[str, tuple[located.Located, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def load_sections(faq_dir: Path) -> Sections:
    """Read ``_sections.yml``: every section that is well-formed, and the problems of the rest."""
    out = Sections()
    path = faq_dir / SECTIONS_FILE
    if not os.path.lexists(path):
        out.problems.append(
            Problem(str(path), 1, 1, "missing sections file; list sections as [{id, title}]")
        )
        return out
    text, unreadable = located.read_source(path)
    if text is None:
        assert unreadable is not None
        out.problems.append(unreadable)
        return out
    doc = located.load(text, str(path))
    out.problems.extend(doc.problems)
    if doc.problems:
        return out
    if not isinstance(doc.data, list):
        out.problems.append(doc.problem((), "sections file must be a list of {id, title, intro}"))
        return out
    for i, item in enumerate(doc.data):
        wrong = _section_problems(doc, i, item)
        if wrong:
            out.problems += wrong
            continue
        if item["id"] in out.where:
            out.problems.append(doc.problem((i, "id"), f"duplicate section id {item['id']!r}"))
            continue
        out.sections.append(
            Section(item["id"], item["title"], item.get("intro", ""), tuple(item.get("entries", [])))
        )
        out.where[item["id"]] = (doc, i)
    return out


#: Section ids and tags become anchors and file names: the entry id's alphabet.
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_SECTION_KEYS = ("id", "title", "intro", "entries")
_SECTION_SHAPE = ("a mapping of id (lowercase letters, digits, dashes), title, and optional intro "
                  "and entries (a list of entry ids in reading order)")


def _section_problems(doc: located.Located, i: int, item: object) -> list[Problem]:
    """What is wrong with section ``[i]``, each at its own key (empty when well-formed)."""
    if not isinstance(item, dict):
        return [doc.problem((i,), f"section [{i}] must be {_SECTION_SHAPE}")]
    problems = []
    meant = set()  # a misspelt key is reported once, as unknown, not also as missing
    for key in item:
        if key not in _SECTION_KEYS:
            meant.update(difflib.get_close_matches(key, _SECTION_KEYS, n=1))
            fix = did_you_mean(key, _SECTION_KEYS, otherwise=f"allowed: {', '.join(_SECTION_KEYS)}")
            problems.append(doc.problem((i, key), f"unknown key {key[:60]!r} in section [{i}]; {fix}",
                                        key=True))
    for key in ("id", "title"):
        if key not in item and key not in meant:
            problems.append(doc.problem((i,), f"section [{i}] has no {key}; add `{key}: ...`"))
    if isinstance(item.get("id"), str) and not _NAME.fullmatch(item["id"]):
        problems.append(doc.problem((i, "id"), f"section id {item['id'][:60]!r} is not allowed: use "
                                    "lowercase letters, digits and dashes"))
    for key in ("id", "title", "intro"):
        if key in item and not isinstance(item[key], str):
            problems.append(doc.problem((i, key), f"section [{i}] {key} must be text"))
    entries = item.get("entries", [])
    if not isinstance(entries, list) or not all(isinstance(x, str) for x in entries):
        problems.append(doc.problem((i, "entries"), f"section [{i}] entries must be a list of "
                                    "entry ids, in reading order"))
    return problems


def load_tags(faq_dir: Path) -> tuple[dict[str, str] | None, list[Problem]]:
    """Read ``_tags.yml``: the vocabulary (None when there is no such file) and its problems."""
    path = faq_dir / TAGS_FILE
    if not os.path.lexists(path):
        return None, []
    text, unreadable = located.read_source(path)
    if text is None:
        assert unreadable is not None
        return None, [unreadable]
    doc = located.load(text, str(path))
    if doc.problems:
        return None, list(doc.problems)
    if not isinstance(doc.data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.data.items()
    ):
        return None, [doc.problem((), "tags file must map each tag to a one-line description")]
    bad = [k for k in doc.data if not _NAME.fullmatch(k)]
    if bad:
        return None, [doc.problem((bad[0],), f"tag {bad[0][:60]!r} is not allowed: use lowercase "
                                  "letters, digits and dashes", key=True)]
    return dict(doc.data), []
