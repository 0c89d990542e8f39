"""The pages of the last fully verified build, reused while no input changed.

A warm rebuild then costs a hash of the inputs instead of parsing, checking and
rendering every entry again. Only a build with every command verified is kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from faqkb._util import atomic_write
from faqkb.project import Project

_PACKAGE = Path(__file__).resolve().parent.parent


def inputs_digest(project: Project, tools: dict[str, str]) -> str:
    """A hash of everything the rendered pages depend on: the FAQ files, the snippets,
    faqkb's own code and templates, the knowledge base's own templates, and the tool versions
    the results were made with."""
    own = project.templates_dir
    # Relative, as every path hashed here: a moved checkout (another CI workspace) keeps its memo.
    own_name = own and (own.relative_to(project.root).as_posix() if own.is_relative_to(project.root)
                        else str(own))
    h = hashlib.sha256(json.dumps([project.faq_prefix, project.legacy_page, project.directory_urls,
                                   own_name, project.reader_dir, project.reader_home, tools,
                                   list(project.most_asked)],
                                  sort_keys=True).encode())
    for i, base in enumerate((project.faq_dir, project.snippets_dir, project.templates_dir, _PACKAGE)):
        h.update(f"\0base {i}\0".encode())  # a file moved from one folder to another is a change
        if base is None or not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class PageMemo:
    """The pages of the last fully verified build of ``project``, keyed by its inputs."""

    def __init__(self, project: Project, tools: dict[str, str]) -> None:
        self.path = project.cache_dir / "pages.json"
        self.digest = inputs_digest(project, tools)

    def get(self) -> dict[str, str] | None:
        """The remembered pages, if they were made from exactly these inputs."""
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("digest") != self.digest:
            return None
        pages = data.get("pages")
        return pages if isinstance(pages, dict) else None

    def put(self, pages: dict[str, str]) -> None:
        """Remember ``pages``; never fails a build (it is only a speed-up)."""
        with contextlib.suppress(OSError):
            atomic_write(self.path, json.dumps({"digest": self.digest, "pages": pages}))
