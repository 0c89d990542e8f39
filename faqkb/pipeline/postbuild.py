"""What faqkb adds to, and takes from, a site once the site generator built it: the questions'
aliases and error lines in the search index, Open Graph tags, and no assets a reader never
loads (source maps, the search languages the site does not use).

Plain functions over files and HTML text, so they need no MkDocs: the plugin calls them.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from faqkb._util import atomic_write

#: The search fields faqkb adds to each question's document, with their weight. Material
#: weighs a title 1000 and the text 1: an alias is a title (the question asked in other words,
#: or the exact error line); a transcript's command and matched lines weigh a little.
SEARCH_FIELDS = {"aliases": 1000.0, "evidence": 0.5}
#: The lunr.js files Material ships for other languages than English, by the language that
#: needs them (besides ``lunr.<lang>.min.js``).
_LUNR_HELPERS = {"ja": ("tinyseg.js",), "th": ("wordcut.js",)}
_LUNR_SHARED = ("lunr.stemmer.support.min.js", "lunr.multi.min.js")
_SOURCE_MAP = re.compile(rb"\n?/[/*]# sourceMappingURL=\S+?\.map(?: \*/)?\s*$")


def add_to_search_index(site_dir: Path, extras: dict[str, dict[str, str]]) -> int:
    """Give the search index's document of each page URL in ``extras`` (``faq/x/``) the fields
    of :data:`SEARCH_FIELDS`, weighted as there unless the site set them; returns how many
    documents got them. A site without the index is left alone (0)."""
    index = site_dir / "search" / "search_index.json"
    try:
        data = json.loads(index.read_text("utf-8"))
    except (OSError, ValueError):
        return 0
    fields = data.setdefault("config", {}).setdefault("fields", {})
    for name, boost in SEARCH_FIELDS.items():
        fields.setdefault(name, {"boost": boost})
    done = 0
    for doc in data.get("docs", []):
        extra = extras.get(str(doc.get("location", "")))
        if extra is None:
            continue  # a section of a page (location with #), or a page of the team's own
        for name in SEARCH_FIELDS:
            if extra.get(name):
                doc[name] = extra[name]
        if extra.get("boost"):
            doc["boost"] = float(extra["boost"])
        done += 1
    atomic_write(index, json.dumps(data, separators=(",", ":")))
    return done


def prune_assets(site_dir: Path, languages: list[str]) -> list[Path]:
    """Remove the source maps (and the comments naming them) and the lunr.js language files
    the site's search ``languages`` do not use; returns what was removed."""
    js = site_dir / "assets" / "javascripts"
    removed: list[Path] = []
    for path in sorted(site_dir.joinpath("assets").rglob("*.map")) if (site_dir / "assets").is_dir() else []:
        path.unlink()
        removed.append(path)
    for path in sorted([*js.rglob("*.js"), *site_dir.joinpath("assets", "stylesheets").rglob("*.css")]
                       if js.is_dir() else []):
        data = path.read_bytes()
        stripped = _SOURCE_MAP.sub(b"\n", data)
        if stripped != data:
            atomic_write(path, stripped)
    lunr = js / "lunr"
    if lunr.is_dir():
        keep = {f"lunr.{lang}.min.js" for lang in languages if lang != "en"}
        keep.update(h for lang in languages for h in _LUNR_HELPERS.get(lang, ()))
        if keep:
            keep.update(_LUNR_SHARED)
        for path in sorted(lunr.rglob("*.js")):
            if path.name not in keep:
                path.unlink()
                removed.append(path)
        for folder in sorted((d for d in [lunr, *lunr.rglob("*")] if d.is_dir()), reverse=True):
            if not any(folder.iterdir()):
                folder.rmdir()
    return removed


def open_graph(page_html: str, *, title: str, description: str, url: str | None,
               site_name: str) -> str:
    """``page_html`` with Open Graph tags (title, description, URL, site name) in its head;
    the values may come HTML-escaped (a page's front matter) or not."""
    tags = [("og:type", "website"), ("og:site_name", site_name), ("og:title", title),
            ("og:description", description)]
    if url:
        tags.append(("og:url", url))
    meta = "".join(f'<meta property="{name}" content="{html.escape(html.unescape(value), quote=True)}">'
                   for name, value in tags if value)
    head_end = page_html.find("</head>")
    if head_end < 0:
        return page_html
    return page_html[:head_end] + meta + page_html[head_end:]
