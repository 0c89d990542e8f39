"""URLs between pages: entries and sections, ``[text](#id)`` links, and the old FAQ's anchors.

Each question has a page of its own (``faq/<id>.md``); a section's page lists its questions.
The URLs the site served before (``faq/<section>/#<id>``, and ``faq/<section>/#<old-anchor>``)
keep working: the section page still carries those ids, on its list, and a small script
forwards them to the question's page (:func:`section_redirects`).

One rule decides which entry answers an old anchor: an entry id is its own; any other
old anchor belongs to the first entry, in reading order (sections in order, each in its
own order), whose ``legacy`` carries it. The anchors on the pages and the redirect page
both follow it.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from faqkb.model import ENTRY_LINK, Entry, KnowledgeBase
from faqkb.render.jinja import environment, render


class Urls:
    """Where generated pages and entries are, relative to the FAQ folder (Markdown links)."""

    #: The tags page.
    tags = "tags.md"

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    @staticmethod
    def section(section_id: str) -> str:
        """The page of a section."""
        return f"{section_id}.md"

    @staticmethod
    def entry(entry_id: str) -> str:
        """The page of an entry (one per question)."""
        return f"{entry_id}.md"


def link_entries(kb: KnowledgeBase, e: Entry, text: str) -> str:
    """``[text](#other-id)`` links to the other entry's page; ``#`` anything else is left as it is."""
    def sub(m: re.Match[str]) -> str:
        target = kb.entries.get(m.group(1))
        if target is None or target.id == e.id:
            return m.group(0)
        return f"]({Urls.entry(target.id)})"

    return ENTRY_LINK.sub(sub, text)


def legacy_targets(kb: KnowledgeBase) -> dict[str, str]:
    """Every old anchor and entry id -> the entry that answers it (see the module's rule)."""
    targets: dict[str, str] = {}
    ordered = [e for sec in kb.sections for e in kb.in_section(sec.id)]
    for e in ordered:
        targets.setdefault(e.id, e.id)
    for e in ordered:
        for leg in e.legacy:
            targets.setdefault(leg.ref, e.id)
    return targets


def extra_anchors(kb: KnowledgeBase) -> dict[str, str]:
    """Old anchors that are no entry id -> the entry whose heading also carries them."""
    return {ref: eid for ref, eid in legacy_targets(kb).items() if ref not in kb.entries}


def legacy_redirect_page(kb: KnowledgeBase, page: str, prefix: str, directory_urls: bool,
                         templates_dir: Path | None = None) -> str:
    """A static HTML page at ``page`` that forwards ``#old-anchor`` to today's entry (the list
    of links works without JavaScript); ``templates_dir`` as in :mod:`.jinja`."""
    up = "../" * page.count("/")

    def url(entry_id: str) -> str:
        return f"{up}{prefix}/{page_url(entry_id, directory_urls)}"

    targets = legacy_targets(kb)
    table = {ref: url(eid) for ref, eid in targets.items()}
    items = "\n".join(
        f'<li><a href="{html.escape(table[ref])}">{html.escape(kb.entries[eid].question)}</a> '
        f"<small>(#{html.escape(ref)})</small></li>"
        for ref, eid in targets.items()
        if ref != eid
    )
    return render(environment(templates_dir), "legacy.html.j2", templates_dir,
                  table=script_json(table), items=items,
                  index=html.escape(f"{up}{prefix}/{page_url('index', directory_urls)}"))


def page_url(name: str, directory_urls: bool) -> str:
    """The URL of the generated page ``name`` (``cipher-shared``, ``index``) relative to the
    FAQ folder, as the site generator names it."""
    if name == "index":
        return "" if directory_urls else "index.html"
    return f"{name}/" if directory_urls else f"{name}.html"


def section_redirects(kb: KnowledgeBase, section_id: str, directory_urls: bool) -> dict[str, str]:
    """The ids a section's page carried when it held its questions (each entry id and old
    anchor) -> the URL of the question's own page, relative to the section's page."""
    up = "../" if directory_urls else ""
    ids = {e.id for e in kb.in_section(section_id)}
    return {ref: up + page_url(eid, directory_urls)
            for ref, eid in legacy_targets(kb).items() if eid in ids}


def script_json(data: object) -> str:
    """JSON that is safe inside an HTML ``<script>``: no ``</script>``, ``<!--`` or ``&`` can
    end or change the script, whatever an old anchor holds."""
    text = json.dumps(data, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
