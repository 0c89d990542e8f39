"""Helpers for tests that build small knowledge bases on disk."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SECTIONS = """\
- id: certificates
  title: Certificates
- id: protocol
  title: Protocol
"""

MINIMAL = """\
id: {id}
section: certificates
question: What is {id}?
answer: |
  An answer.
legacy:
  - {{source: test, ref: {id}, question: "What is {id}?"}}
"""


def make_project(tmp: Path, entries: dict[str, str] | None = None, *, tags: str | None = None) -> Path:
    """A project dir with mkdocs.yml, docs/faq/_sections.yml and the given entry files."""
    (tmp / "docs" / "faq").mkdir(parents=True)
    (tmp / "snippets").mkdir()
    (tmp / "docs" / "index.md").write_text("# Test KB\n")
    (tmp / "mkdocs.yml").write_text(
        "site_name: Test KB\ntheme: {name: material}\nplugins: [faqkb]\n"
        "markdown_extensions: [attr_list, md_in_html, admonition, pymdownx.details, pymdownx.superfences]\n"
    )
    (tmp / "docs" / "faq" / "_sections.yml").write_text(SECTIONS)
    if tags is not None:
        (tmp / "docs" / "faq" / "_tags.yml").write_text(tags)
    for name, text in (entries or {}).items():
        (tmp / "docs" / "faq" / f"{name}.yml").write_text(textwrap.dedent(text))
    return tmp


def copy_real_kb(tmp: Path) -> Path:
    """A copy of this repository's knowledge base and mkdocs.yml."""
    shutil.copy(REPO / "mkdocs.yml", tmp / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp / "docs")
    shutil.copytree(REPO / "snippets", tmp / "snippets")
    return tmp
