"""Render a knowledge base (and its verification results) into Markdown pages via Jinja.

The output is a mapping of page path (relative to the docs dir) to Markdown text.
Pages are complete on their own, so any generator that reads ``mkdocs.yml`` can
build them; the MkDocs plugin only hands them over.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faqkb._util import printable
from faqkb.model import KnowledgeBase
from faqkb.render.jinja import environment, render
from faqkb.render.links import Urls, extra_anchors, legacy_redirect_page
from faqkb.render.markdown import fence
from faqkb.render.views import entry_view
from faqkb.results import CACHED, PASSED, EntryResult


@dataclass(frozen=True)
class RenderOptions:
    """Where generated pages go, relative to the docs dir.

    ``legacy_page`` (e.g. ``ssl_faq.html``) adds a static page at that path that sends
    old links (``legacy_page#old-anchor``) to the entry that answers them today.
    ``directory_urls`` says how the site generator names pages (MkDocs' default: yes).
    ``templates_dir`` holds the knowledge base's own templates (see :mod:`.jinja`).
    """

    prefix: str = "faq"
    legacy_page: str | None = None
    directory_urls: bool = True
    templates_dir: Path | None = None


def render_pages(
    kb: KnowledgeBase,
    results: dict[str, EntryResult] | None = None,
    options: RenderOptions | None = None,
) -> dict[str, str]:
    """Render every generated page; keys are paths relative to the docs dir."""
    opts = options or RenderOptions()
    env = environment(opts.templates_dir)  # a ContentError if the team's templates have problems
    own = opts.templates_dir
    results = results or {}
    anchors = extra_anchors(kb)
    urls = Urls(kb)
    pages: dict[str, str] = {}
    section_views = []
    for section in kb.sections:
        entries = kb.in_section(section.id)
        views = [entry_view(kb, e, results.get(e.id), anchors) for e in entries]
        pages[f"{opts.prefix}/{section.id}.md"] = render(
            env, "section.md.j2", own, section=section, entries=views, tags_url="tags.md"
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
    pages[f"{opts.prefix}/index.md"] = render(
        env, "index.md.j2", own, sections=section_views, kb_summary=summary
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
    pages[f"{opts.prefix}/tags.md"] = render(env, "tags.md.j2", own, tags=tags)
    if opts.legacy_page:
        pages[opts.legacy_page] = legacy_redirect_page(kb, opts.legacy_page, opts.prefix,
                                                       opts.directory_urls, own)
    return pages


def problems_notice(problems: list[str], *, last_good: bool) -> str:
    """Markdown for the top of every page while ``mkdocs serve`` cannot build the FAQ: an
    admonition listing each problem (``path:line:col: message``) as code, so nothing a problem
    quotes from a file can act as Markdown or HTML."""
    text = printable("\n".join(problems))
    f = fence(text)
    body = "\n".join(f"    {ln}" for ln in [f"{f}text", *text.split("\n"), f])
    n = len(problems)
    shown = ("the FAQ pages show the last good build" if last_good
             else "the FAQ pages cannot be shown until they are fixed")
    return (f'!!! failure "faqkb: {n} problem{"s" * (n != 1)} in the FAQ; {shown}"\n\n'
            f"{body}\n\n")


def stand_in_pages(prefix: str) -> dict[str, str]:
    """The FAQ's index page while ``mkdocs serve`` has never built the FAQ: links to it from
    the team's own pages still land somewhere, under the notice of :func:`problems_notice`."""
    return {f"{prefix}/index.md": "---\ntitle: All questions\n---\n\n# All questions\n\n"
            "The FAQ could not be built: fix the problems listed above and save.\n"}
