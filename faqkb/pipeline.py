"""The one build pipeline every integration calls: load, verify, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faqkb.loader import load_kb
from faqkb.model import KnowledgeBase
from faqkb.project import Project
from faqkb.render import RenderOptions, render_pages
from faqkb.results import EntryResult


@dataclass
class Built:
    """What a build produced: the knowledge base, verification results, and Markdown pages."""

    kb: KnowledgeBase
    results: dict[str, EntryResult] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)

    def failures(self) -> list[str]:
        """One line per command that failed or could not be verified."""
        out = []
        for entry_id, er in sorted(self.results.items()):
            path = self.kb.entries[entry_id].path
            for c in er.commands:
                if not c.ok:
                    why = "; ".join(c.failures) or c.reason or c.status
                    out.append(f"{path}: entry {entry_id!r} command {c.index + 1}: {why}")
        return out


def build(
    project: Project,
    *,
    verify: bool = True,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Load the FAQ (raising ContentError on invalid content), verify, and render its pages."""
    if verify:
        from faqkb import toolinfo
        from faqkb.httpd import httpd_available

        # The version probes (subprocesses) run while the entries are being parsed.
        toolinfo.prefetch(toolinfo.openssl_version, toolinfo.curl_version, httpd_available)
    kb = load_kb(project.faq_dir, project.snippets_dir,
                 schema_memo=project.cache_dir / "schema-valid.json")
    results: dict[str, EntryResult] = {}
    if verify and any(e.commands for e in kb.entries.values()):
        from faqkb.verify import verify_kb  # deferred: rendering alone needs no runner

        results = verify_kb(kb, project, jobs=jobs, progress=progress).results
    pages = render_pages(kb, results, RenderOptions(prefix=project.faq_prefix))
    return Built(kb, results, pages)
