"""The one build pipeline every integration calls: load, verify, render."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import faqkb
from faqkb.load.loader import load_kb
from faqkb.model import KnowledgeBase
from faqkb.project import Project
from faqkb.render.pages import RenderOptions, render_pages
from faqkb.results import EntryResult

_PACKAGE = Path(faqkb.__file__).parent


@dataclass
class Built:
    """What a build produced: Markdown pages, and one line per command not verified."""

    pages: dict[str, str]
    failures: list[str] = field(default_factory=list)
    results: dict[str, EntryResult] = field(default_factory=dict)


def _failures(kb: KnowledgeBase, results: dict[str, EntryResult]) -> list[str]:
    out = []
    for entry_id, er in sorted(results.items()):
        path = kb.entries[entry_id].path
        for c in er.commands:
            if not c.ok:
                why = "; ".join(c.failures) or c.reason or c.status
                out.append(f"{path}: entry {entry_id!r} command {c.index + 1}: {why}")
    return out


def _inputs_digest(project: Project, tools: dict[str, str]) -> str:
    """A hash of everything the rendered pages depend on: the FAQ files, the snippets,
    faqkb's own code and templates, and the tool versions the results were made with."""
    h = hashlib.sha256(json.dumps([project.faq_prefix, project.legacy_page, project.directory_urls,
                                   tools], sort_keys=True).encode())
    for base in (project.faq_dir, project.snippets_dir, _PACKAGE):
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


class _PageMemo:
    """The pages of the last fully verified build, reused while no input changed.

    A warm rebuild then costs a hash of the inputs instead of parsing, checking and
    rendering every entry again. Only a build with every command verified is kept.
    """

    def __init__(self, project: Project, tools: dict[str, str]) -> None:
        self.path = project.cache_dir / "pages.json"
        self.digest = _inputs_digest(project, tools)

    def get(self) -> dict[str, str] | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return data["pages"] if data.get("digest") == self.digest else None

    def put(self, pages: dict[str, str]) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"digest": self.digest, "pages": pages}), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # only a speed-up


def build(
    project: Project,
    *,
    verify: bool = True,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Load the FAQ (raising ContentError on invalid content), verify, and render its pages."""
    memo = None
    if verify:
        from faqkb.verify import tools as toolinfo
        from faqkb.verify.verifier import tool_versions

        # The version probes (subprocesses) run while the inputs are being hashed.
        toolinfo.prefetch(toolinfo.openssl_version, toolinfo.curl_version, toolinfo.httpd_probe)
        memo = _PageMemo(project, tool_versions(toolinfo.httpd_probe() is None))
        pages = memo.get()
        if pages is not None:
            if progress:
                progress("faqkb: nothing changed since the last verified build; pages reused")
            return Built(pages)
    kb = load_kb(project.faq_dir, project.snippets_dir,
                 schema_memo=project.cache_dir / "schema-valid.json")
    results: dict[str, EntryResult] = {}
    if verify and any(e.commands for e in kb.entries.values()):
        from faqkb.verify.verifier import verify_kb  # deferred: rendering alone needs no runner

        results = verify_kb(kb, project, jobs=jobs, progress=progress).results
    pages = render_pages(kb, results, RenderOptions(prefix=project.faq_prefix,
                                                    legacy_page=project.legacy_page,
                                                    directory_urls=project.directory_urls))
    failures = _failures(kb, results)
    if memo is not None and not failures:
        memo.put(pages)
    return Built(pages, failures, results)
