"""Render a knowledge base (and its verification results) into Markdown pages via Jinja.

The output is a mapping of page path (relative to the docs dir) to Markdown text.
Pages are complete on their own, so any generator that reads ``mkdocs.yml`` can
build them; the MkDocs plugin only hands them over.
"""

from __future__ import annotations

import functools
import html
import json
import re
from dataclasses import dataclass
from typing import Any

import jinja2

from faqkb import placeholders
from faqkb.model import ENTRY_LINK, Command, Entry, KnowledgeBase
from faqkb.results import CACHED, FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult

MAX_OUTPUT_LINES = 60
_PRIVATE_KEY = re.compile(
    r"(-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----\n).*?(-----END \2PRIVATE KEY-----)", re.DOTALL
)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


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


def redact(text: str) -> str:
    """Replace the body of every PEM private key with a marker; keep the armour lines."""
    return _PRIVATE_KEY.sub(r"\1[private key redacted]\n\3", text)


def clip(text: str, limit: int = MAX_OUTPUT_LINES) -> str:
    """Keep the first ``limit`` lines of long output, saying how much was left out."""
    lines = text.rstrip("\n").split("\n")
    if len(lines) <= limit:
        return "\n".join(lines)
    keep = [*lines[: limit - 5], f"[... {len(lines) - limit} lines omitted ...]", *lines[-5:]]
    return "\n".join(keep)


def md_inline(text: str) -> str:
    """Escape text so Markdown shows it literally on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja environment: package templates, StrictUndefined so typos fail loudly."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("faqkb.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,  # Markdown output; values are escaped explicitly where needed
    )
    env.filters["md_inline"] = md_inline
    env.filters["yaml_str"] = _yaml_str
    return env


def _fence(*texts: str) -> str:
    longest = max((len(m) for t in texts for m in re.findall(r"`{3,}|~{3,}", t)), default=0)
    return "`" * max(3, longest + 1)


def _shown_output(cmd: Command, res: CommandResult | None) -> str:
    if res is None or cmd.show == "none":
        return ""
    text = {"both": res.combined, "stdout": res.stdout, "stderr": res.stderr}[cmd.show]
    return clip(redact(text)) if text.strip() else ""


def _mark(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> tuple[str, str]:
    """The status and the HTML text of the line under a command."""
    if res is None or er is None:
        return UNVERIFIED, "Not verified: this command was not run in this build."
    if res.status == UNVERIFIED:
        return UNVERIFIED, html.escape(f"Not verified: {res.reason or 'it could not be run here'}.")
    if res.status == FAILED:
        first = res.failures[0] if res.failures else "unknown failure"
        return FAILED, html.escape(f"Verification FAILED: {first}")
    tools = [f"OpenSSL {er.openssl}"] if er.openssl else []
    if cmd.scenario == "httpd" and er.tools.get("httpd"):
        tools.append(f"Apache httpd {er.tools['httpd']}")
        target = " against the httpd configuration above"
    elif cmd.scenario:
        target = f" against the reference server&rsquo;s <code>{html.escape(cmd.scenario)}</code> scenario"
    else:
        target = ""
    return PASSED, f"Verified{target} with {' and '.join(tools) or 'this toolchain'} on {er.date}."


def command_view(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> dict[str, Any]:
    """Everything the template needs for one command, computed here rather than in Jinja."""
    shown = placeholders.for_page(cmd.run, _display_values(cmd))
    lines = shown.split("\n")
    block = "\n".join([f"$ {lines[0]}", *lines[1:]])
    output = _shown_output(cmd, res)
    if output:
        block += "\n" + output
    status, mark = _mark(cmd, res, er)
    stdin = cmd.stdin.rstrip("\n").replace("\r", "") if cmd.stdin else ""
    server_log = redact(res.server_log) if res is not None else ""
    return {
        "title": cmd.title,
        "block": block,
        "stdin": stdin,
        "server_log": server_log,
        "note": cmd.note,
        "status": status,
        "mark": mark,
        "fence": _fence(block, stdin, server_log),
    }


def _display_values(cmd: Command) -> dict[str, str]:
    return placeholders.PLAIN_HTTP_NAMES if cmd.scenario == "plain-http" else placeholders.NAMES


class _Urls:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def section(self, section_id: str) -> str:
        return f"{section_id}.md"

    def entry(self, entry_id: str) -> str:
        e = self.kb.entries[entry_id]
        return f"{e.section}.md#{e.id}"


def _legacy_anchor_owner(kb: KnowledgeBase) -> dict[str, str]:
    """Old anchor -> the entry that keeps it alive (first by file name; ids win outright)."""
    owner: dict[str, str] = {}
    for e in sorted(kb.entries.values(), key=lambda x: x.path.name):
        for leg in e.legacy:
            if leg.ref not in kb.entries and leg.ref not in owner:
                owner[leg.ref] = e.id
    return owner


def _legacy_targets(kb: KnowledgeBase) -> dict[str, str]:
    """Every old anchor and entry id -> the entry that answers it (sections' order first)."""
    targets: dict[str, str] = {}
    ordered = [e for sec in kb.sections for e in kb.in_section(sec.id)]
    for e in ordered:
        targets.setdefault(e.id, e.id)
    for e in ordered:
        for leg in e.legacy:
            targets.setdefault(leg.ref, e.id)
    return targets


def legacy_redirect_page(kb: KnowledgeBase, opts: RenderOptions) -> str:
    """A static HTML page that forwards ``#old-anchor`` to today's entry (links without JS)."""
    depth = opts.legacy_page.count("/") if opts.legacy_page else 0
    up = "../" * depth

    def url(entry_id: str) -> str:
        section = kb.entries[entry_id].section
        page = f"{section}/" if opts.directory_urls else f"{section}.html"
        return f"{up}{opts.prefix}/{page}#{entry_id}"

    table = {ref: url(eid) for ref, eid in _legacy_targets(kb).items()}
    items = "\n".join(
        f'<li><a href="{html.escape(u)}">{html.escape(kb.entries[eid].question)}</a> '
        f"<small>(#{html.escape(ref)})</small></li>"
        for ref, eid in _legacy_targets(kb).items()
        for u in [table[ref]]
        if ref != eid
    )
    return environment().get_template("legacy.html.j2").render(
        table=json.dumps(table, sort_keys=True), items=items, index=f"{up}{opts.prefix}/"
    )


def _httpd_view(e: Entry, er: EntryResult | None) -> dict[str, Any] | None:
    """The configuration a reader writes, and whether a real httpd loaded it in this build."""
    if e.httpd is None:
        return None
    config = e.httpd.config.strip("\n")
    files = [
        {"name": name, "content": content.rstrip("\n"),
         "lang": "bash" if content.startswith("#!") and "sh" in content.split("\n")[0] else "text"}
        for name, content in e.httpd.files
    ]
    httpd_cmds = [c for c in (er.commands if er else []) if e.commands[c.index].scenario == "httpd"]
    if er and httpd_cmds and all(c.ok for c in httpd_cmds):
        status = PASSED
        mark = (f"Run in Apache httpd {er.tools.get('httpd', '2.4')} on {er.date}: "
                "the commands below show what it does.")
    elif er and httpd_cmds and any(c.status == UNVERIFIED for c in httpd_cmds):
        status, mark = UNVERIFIED, "Not verified: no Apache httpd was available in this build."
    elif er and httpd_cmds:
        status, mark = FAILED, "Verification FAILED with this configuration (see the commands below)."
    else:
        status, mark = UNVERIFIED, "Not verified in this build."
    return {"config": config, "modules": list(e.httpd.modules), "files": files,
            "fence": _fence(config, *(f["content"] for f in files)), "status": status, "mark": mark}




def _link_entries(kb: KnowledgeBase, e: Entry, text: str) -> str:
    """``[text](#other-id)`` works wherever the other entry lives: point it at its page."""

    def sub(m: re.Match[str]) -> str:
        target = kb.entries.get(m.group(1))
        if target is None or target.section == e.section:
            return m.group(0)
        return f"]({target.section}.md#{target.id})"

    return ENTRY_LINK.sub(sub, text)


def entry_view(
    kb: KnowledgeBase, e: Entry, er: EntryResult | None, anchors: dict[str, str]
) -> dict[str, Any]:
    """Template data for one entry."""
    urls = _Urls(kb)
    results = {c.index: c for c in er.commands} if er else {}
    return {
        "id": e.id,
        "question": e.question,
        "answer": _link_entries(kb, e, e.answer.strip()),
        "then_and_now": _link_entries(kb, e, (e.then_and_now or "").strip()),
        "aliases": list(e.aliases),
        "tags": list(e.tags),
        "legacy": e.legacy,
        "extra_anchors": [ref for ref, owner in anchors.items() if owner == e.id],
        "see_also": [
            {"url": urls.entry(s), "question": kb.entries[s].question} for s in e.see_also
        ],
        "commands": [command_view(c, results.get(i), er) for i, c in enumerate(e.commands)],
        "httpd": _httpd_view(e, er),
    }


def render_pages(
    kb: KnowledgeBase,
    results: dict[str, EntryResult] | None = None,
    options: RenderOptions | None = None,
) -> dict[str, str]:
    """Render every generated page; keys are paths relative to the docs dir."""
    opts = options or RenderOptions()
    env = environment()
    results = results or {}
    anchors = _legacy_anchor_owner(kb)
    urls = _Urls(kb)
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
        pages[opts.legacy_page] = legacy_redirect_page(kb, opts)
    return pages
