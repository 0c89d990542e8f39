"""`faqkb new`: start an entry file from a template that already lints clean."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from faqkb.errors import FaqkbError
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
    """Write ``<faq_dir>/<entry_id>.yml``; refuses bad ids and existing files."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry_id):
        raise FaqkbError(f"entry id {entry_id!r} must be lowercase letters, digits and dashes")
    path = project.faq_dir / f"{entry_id}.yml"
    if path.exists():
        raise FaqkbError(f"{path} already exists; edit it instead")
    schema = Path(__file__).parent.parent / "schema" / "entry.schema.json"
    # Editors resolve the schema relative to the entry file.
    rel = os.path.relpath(schema, path.parent)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:  # "x": never overwrite, even in a race
        f.write(_TEMPLATE.format(schema=Path(rel).as_posix(), id=entry_id, section=section,
                                 question=json.dumps(question)))
    return path
