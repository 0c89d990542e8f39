"""Render a knowledge base (and its verification results) into Markdown pages via Jinja.

The output is a mapping of page path (relative to the docs dir) to Markdown text.
Pages are complete on their own, so any generator that reads ``mkdocs.yml`` can
build them; the MkDocs plugin only hands them over.
"""

from __future__ import annotations

from dataclasses import dataclass

from faqkb.model import KnowledgeBase
from faqkb.render.jinja import environment
from faqkb.render.links import Urls, extra_anchors, legacy_redirect_page
from faqkb.render.views import entry_view
from faqkb.results import CACHED, PASSED, EntryResult


@dataclass(frozen=True)
class RenderOptions:
    """Where generated pages go, relative to the docs dir.

    ``legacy_page`` (e.g. ``ssl_faq.html``) adds a static page at that path that sends
    old links (``legacy_page#old-anchor``) to the entry that answers them today.
    ``directory_urls`` says how the site generator names pages (MkDocs' default: yes).
    """

    prefix: str = "faq"
    legacy_page: str | None = None
    directory_urls: bool = True


def render_pages(
    kb: KnowledgeBase,
    results: dict[str, EntryResult] | None = None,
    options: RenderOptions | None = None,
) -> dict[str, str]:
    """Render every generated page; keys are paths relative to the docs dir."""
    opts = options or RenderOptions()
    env = environment()
    results = results or {}
    anchors = extra_anchors(kb)
    urls = Urls(kb)
    pages: dict[str, str] = {}
    section_views = []
    for section in kb.sections:
        entries = kb.in_section(section.id)
        views = [entry_view(kb, e, results.get(e.id), anchors) for e in entries]
        pages[f"{opts.prefix}/{section.id}.md"] = env.get_template("section.md.j2").render(
            section=section, entries=views, tags_url="tags.md"
        )
        section_views.append(
            {"title": section.title, "url": urls.section(section.id), "entries": views}
        )
    n_cmds = sum(len(e.commands) for e in kb.entries.values())
    verified = sum(1 for r in results.values() for c in r.commands if c.status in (PASSED, CACHED))
    summary = (
        f"{len(kb.entries)} questions in {len(kb.sections)} sections; "
        f"{verified} of {n_cmds} commands verified in this build."
    )
    pages[f"{opts.prefix}/index.md"] = env.get_template("index.md.j2").render(
        sections=section_views, kb_summary=summary
    )
    tag_names = sorted({t for e in kb.entries.values() for t in e.tags} | set(kb.tags))
    tags = [
        {
            "name": t,
            "description": kb.tags.get(t, ""),
            "entries": [
                {"question": e.question, "url": urls.entry(e.id)}
                for e in sorted(kb.entries.values(), key=lambda x: x.question.lower())
                if t in e.tags
            ],
        }
        for t in tag_names
    ]
    pages[f"{opts.prefix}/tags.md"] = env.get_template("tags.md.j2").render(tags=tags)
    if opts.legacy_page:
        pages[opts.legacy_page] = legacy_redirect_page(kb, opts.legacy_page, opts.prefix,
                                                       opts.directory_urls)
    return pages
