"""Render a knowledge base (and its verification results) into Markdown pages via Jinja.

The output is a mapping of page path (relative to the docs dir) to Markdown text.
Pages are complete on their own, so any generator that reads ``mkdocs.yml`` can
build them; the MkDocs plugin only hands them over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faqkb._util import printable
from faqkb.errors import ContentError, Problem
from faqkb.model import Entry, KnowledgeBase
from faqkb.render.jinja import environment, render
from faqkb.render.links import Urls, extra_anchors, legacy_redirect_page, script_json, section_redirects
from faqkb.render.markdown import fence, md_inline, plain_text
from faqkb.render.views import entry_view
from faqkb.results import CACHED, PASSED, EntryResult
from faqkb.verify.tools import label

#: Keys of :func:`render_pages`' result that are data for the integrations, not pages: the
#: landing block (Markdown, links relative to the docs dir) and, per question page, what site
#: search adds and the entry's file (JSON: page path -> {"aliases": text, "evidence": text,
#: "source": the entry file's name in the FAQ folder}).
LANDING = ":landing.md"
PAGE_DATA = ":pages.json"
#: Where a team's own ``index.md`` (at the top of the docs dir) takes the landing block.
LANDING_MARKER = "<!-- faqkb:landing -->"
#: How much more a most-asked question weighs in site search: what most readers arrive
#: with is, for a query that two questions match as well, the likelier answer.
MOST_ASKED_BOOST = 2.0
#: Names the generated pages of the FAQ folder take besides the questions' own.
RESERVED = ("index", "tags")


@dataclass(frozen=True)
class RenderOptions:
    """Where generated pages go, relative to the docs dir.

    ``legacy_page`` (e.g. ``ssl_faq.html``) adds a static page at that path that sends
    old links (``legacy_page#old-anchor``) to the entry that answers them today.
    ``directory_urls`` says how the site generator names pages (MkDocs' default: yes).
    ``templates_dir`` holds the knowledge base's own templates (see :mod:`.jinja`).
    ``most_asked`` lists the entry ids the landing block shows first (default: the first
    question of each section).
    """

    prefix: str = "faq"
    legacy_page: str | None = None
    directory_urls: bool = True
    templates_dir: Path | None = None
    most_asked: tuple[str, ...] = ()


def site_pages(pages: dict[str, str]) -> dict[str, str]:
    """The pages of :func:`render_pages`' result, without its data keys (:data:`LANDING`...)."""
    return {k: v for k, v in pages.items() if not k.startswith(":")}


def page_problems(kb: KnowledgeBase) -> list[Problem]:
    """An entry whose page would take the place of a section's page or of a generated one."""
    taken = {s.id: f"the page of section {s.id!r}" for s in kb.sections}
    taken.update({name: f"faqkb's {name} page" for name in RESERVED})
    return [Problem(str(e.path), 1, 1, f"entry id {e.id!r} would give the question the same "
                        f"page as {taken[e.id]}; rename the file and its id")
                for e in kb.entries.values() if e.id in taken]


def _json_ld(e: Entry) -> str:
    """The question's schema.org FAQPage, as JSON safe inside a ``<script>`` element."""
    return script_json({
        "@context": "https://schema.org",
        "@type": "FAQPage",
        "mainEntity": [{"@type": "Question", "name": printable(" ".join(e.question.split())),
                        "acceptedAnswer": {"@type": "Answer", "text": plain_text(e.answer)}}],
    })


def verified_line(kb: KnowledgeBase, results: dict[str, EntryResult]) -> str:
    """One sentence: how many commands were verified, with which tool versions, and when."""
    n_cmds = sum(len(e.commands) for e in kb.entries.values())
    if not n_cmds:
        return ""
    done = [c for r in results.values() for c in r.commands if c.status in (PASSED, CACHED)]
    if not results:
        return f"The {n_cmds} commands were not run in this build."
    versions: dict[str, set[str]] = {}
    for r in results.values():
        used = {t for c in r.commands if c.status in (PASSED, CACHED) for t in c.tools}
        for name in sorted(used):
            if r.tools.get(name):
                versions.setdefault(name, set()).add(r.tools[name])
    tools = [f"{label(n)} {' / '.join(sorted(v))}" for n, v in versions.items()]
    dates = sorted({r.date for r in results.values() if r.date})
    when = ("" if not dates else f" on {dates[0]}" if len(dates) == 1
            else f" between {dates[0]} and {dates[-1]}")
    with_tools = ""
    if tools:
        with_tools = " with " + (tools[0] if len(tools) == 1 else ", ".join(tools[:-1]) + " and " + tools[-1])
    return f"{len(done)} of {n_cmds} commands verified{with_tools}{when}."


def render_pages(
    kb: KnowledgeBase,
    results: dict[str, EntryResult] | None = None,
    options: RenderOptions | None = None,
) -> dict[str, str]:
    """Render every generated page; keys are paths relative to the docs dir (and the data
    keys :data:`LANDING` and :data:`PAGE_DATA`, see :func:`site_pages`)."""
    opts = options or RenderOptions()
    env = environment(opts.templates_dir)  # a ContentError if the team's templates have problems
    own = opts.templates_dir
    problems = page_problems(kb)
    if problems:
        raise ContentError(problems)
    results = results or {}
    anchors = extra_anchors(kb)
    urls = Urls(kb)
    pages: dict[str, str] = {}
    section_views: list[dict[str, Any]] = []
    search: dict[str, dict[str, str]] = {}
    for section in kb.sections:
        entries = kb.in_section(section.id)
        views = [entry_view(kb, e, results.get(e.id), anchors) for e in entries]
        for e, view in zip(entries, views, strict=True):
            path = f"{opts.prefix}/{e.id}.md"
            pages[path] = render(env, "question.md.j2", own, e=view, tags_url=urls.tags,
                                 json_ld=_json_ld(e))
            search[path] = {"aliases": "\n".join(e.aliases), "source": e.path.name,
                            "evidence": "\n".join(ln for c in view["commands"] for ln in c["evidence"])}
        redirects = section_redirects(kb, section.id, opts.directory_urls)
        pages[f"{opts.prefix}/{section.id}.md"] = render(
            env, "section.md.j2", own, section=section, entries=views, tags_url=urls.tags,
            redirects=script_json(redirects),
        )
        section_views.append(
            {"id": section.id, "title": section.title, "intro": section.intro,
             "url": urls.section(section.id), "entries": views}
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
    views_by_id = {v["id"]: v for s in section_views for v in s["entries"]}
    wanted = [i for i in opts.most_asked if i in views_by_id] or [
        s["entries"][0]["id"] for s in section_views if s["entries"]]
    for i in opts.most_asked:  # a list the team chose; each section's first is no such choice
        if i in views_by_id:
            search[f"{opts.prefix}/{i}.md"]["boost"] = str(MOST_ASKED_BOOST)
    pages[LANDING] = render(env, "landing.md.j2", own, prefix=opts.prefix,
                            most_asked=[views_by_id[i] for i in wanted], sections=section_views,
                            verified=verified_line(kb, results), n_questions=len(kb.entries))
    pages[PAGE_DATA] = json.dumps(search, sort_keys=True)
    return pages


def with_landing(text: str, landing: str) -> str:
    """A team's ``index.md`` with the landing block where its :data:`LANDING_MARKER` is."""
    return text.replace(LANDING_MARKER, landing, 1)


def landing_page(site_name: str, landing: str) -> str:
    """The ``index.md`` of a site whose docs have none: the site's name and the landing block."""
    return f"---\ntitle: Home\n---\n\n# {md_inline(site_name)}\n\n{landing}"


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
