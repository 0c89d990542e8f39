"""`faqkb new`: start an entry file from a template that already lints clean.

The section is checked against ``_sections.yml`` first, so a typo is refused (with
"did you mean") before anything is written.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from faqkb._util import did_you_mean
from faqkb.errors import ContentError, FaqkbError
from faqkb.load.sidefiles import load_sections
from faqkb.model import SECTIONS_FILE
from faqkb.project import Project

_TEMPLATE = """\
# yaml-language-server: $schema={schema}
id: {id}
section: {section}
question: {question}
aliases: []
tags: []
answer: |
  Write today's answer here, in Markdown.
legacy:
  - source: new
    ref: {id}
    question: {question}
commands: []
"""


def new_entry(project: Project, entry_id: str, section: str, question: str) -> Path:
    """Write ``<faq_dir>/<entry_id>.yml``; refuses bad ids, unknown sections and existing files."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry_id):
        raise FaqkbError(f"entry id {entry_id!r} must be lowercase letters, digits and dashes")
    path = project.faq_dir / f"{entry_id}.yml"
    if path.exists():
        raise FaqkbError(f"{path} already exists; edit it instead")
    side = load_sections(project.faq_dir)
    if side.problems:
        raise ContentError(side.problems)
    known = [s.id for s in side.sections]
    if section not in known:
        raise FaqkbError(f"unknown section {section!r} (sections are listed in "
                         f"{project.faq_dir / SECTIONS_FILE}); {did_you_mean(section, known)}")
    schema = Path(__file__).parent.parent / "schema" / "entry.schema.json"
    # Editors resolve the schema relative to the entry file.
    rel = os.path.relpath(schema, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        f.write(_TEMPLATE.format(schema=Path(rel).as_posix(), id=entry_id, section=section,
                                 question=json.dumps(question)))
    return path
