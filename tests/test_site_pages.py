"""Every kind of page of the built site in headless Chromium, at desktop and phone size, in the
light and the dark palette: axe-core finds no serious or critical accessibility violation, the
page does not scroll sideways, and a screenshot of its first screen is saved for a person to look
at. The site is served under a sub-path (``/faq-sub/``, its ``site_url``), where the 404 page must
still find its stylesheets and scripts.

The pages are found in the built site, not hard-coded: the first sitemap URL of each kind, with
today's layout (questions as anchors on their section's page) as the fallback.

axe-core comes from the npm registry (``make test`` installs the pinned version, see
``.ci/system-deps``) into ``$FAQKB_NPM_DIR`` (default ``.venv/npm``). Screenshots go to
``$FAQKB_ARTIFACTS`` (``make test`` sets ``tests/artifacts``, ignored by git), else to a
temporary folder.
"""

from __future__ import annotations

import base64
import http.server
import os
import re
import shutil
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from tests.cdp import Browser
from tests.kbutil import REPO, VerifiedKb, copy_tree, run_faqkb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(os.environ.get("FAQKB_NPM_DIR") or REPO / ".venv" / "npm") / "node_modules" / "axe-core" / "axe.min.js"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")

#: The path the site is served under, and the site_url it is built with (Material's 404 page
#: takes its asset URLs from site_url's path: without it they start at /).
SUB = "/faq-sub/"
SITE_URL = f"https://faq.example.org{SUB}"

VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844, "mobile": True}}
PALETTES = {"light": False, "dark": True}
#: What axe must not find at all; "moderate" and "minor" findings are printed, not failed on.
BLOCKING = ("serious", "critical")


class Site(NamedTuple):
    """The built site, served: its base URL (ending in SUB) and the page of each kind."""

    base: str
    root: Path
    pages: dict[str, str]  # kind -> path below base (with a #fragment where the kind needs one)


class _SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site under SUB only, and answers what is not there with the site's 404.html
    and status 404, as a web server set up for a MkDocs site does."""

    site: Path

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        if not path.startswith(SUB):
            return str(self.site / "no such file")
        return super().translate_path("/" + path[len(SUB):])

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = self.site / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _with_site_url(config: Path, url: str) -> None:
    text = config.read_text()
    text, n = re.subn(r"(?m)^site_url:.*$", f"site_url: {url}", text)
    config.write_text(text if n else f"site_url: {url}\n{text}")


def _discover(root: Path, project: Path) -> dict[str, str]:
    """The page of each kind in the built site (paths below the site's root)."""
    locs = [loc.text or "" for loc in ET.parse(root / "sitemap.xml").getroot().iter()
            if loc.tag.endswith("loc")]
    paths = [loc.removeprefix(SITE_URL) for loc in locs]
    sections = yaml.safe_load((project / "docs" / "faq" / "_sections.yml").read_text())
    section = sections[0]["id"]
    entry = sections[0].get("entries", [None])[0] or sorted(
        p.stem for p in (project / "docs" / "faq").glob("*.yml") if not p.stem.startswith("_"))[0]
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    legacy = next(p["faqkb"]["legacy_page"] for p in config["plugins"]
                  if isinstance(p, dict) and "faqkb" in p)

    def first(pattern: str, fallback: str) -> str:
        return next((p for p in paths if re.fullmatch(pattern, p)), fallback)

    return {
        "landing": "",
        "section": first(rf"faq/{re.escape(section)}/", f"faq/{section}/"),
        # A page of its own per question (faq/<id>/) once the site has them; today an anchor.
        "question": first(rf"faq/{re.escape(entry)}/", f"faq/{section}/#{entry}"),
        "tags": first(r"faq/tags/|tags/", "faq/tags/"),
        # An old anchor no entry carries keeps the reader on the legacy page itself.
        "legacy": f"{legacy}#no-such-anchor",
        "404": "no-such-page/",
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, verified_kb: VerifiedKb) -> Iterator[Site]:
    """The real knowledge base built with `faqkb build` (reusing the session's verification),
    with site_url SITE_URL, served under SUB on 127.0.0.1."""
    project = copy_tree(verified_kb.path, tmp_path_factory.mktemp("pages") / "kb")
    _with_site_url(project / "mkdocs.yml", SITE_URL)
    built = run_faqkb(project, "build", home=tmp_path_factory.mktemp("home"), timeout=900)
    assert built.returncode == 0, built.stderr[-5000:]
    root = project / "site"
    handler = type("Handler", (_SubPathHandler,), {"site": root})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), lambda *a: handler(*a, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}{SUB}", root, _discover(root, project))
    finally:
        server.shutdown()
        server.server_close()


def _open(b: Browser, site: Site, kind: str) -> None:
    b.open("about:blank")  # a new document each time: a #fragment alone would fire no load event
    b.open(site.base + site.pages[kind])
    assert b.js("location.pathname").startswith(SUB), (kind, b.js("location.href"))
    # The page has Material's look: its stylesheet loaded (the header is the palette's colour,
    # not a transparent, unstyled block).
    assert b.js("getComputedStyle(document.querySelector('.md-header')).position") == "sticky", (
        f"{kind} ({site.pages[kind]}) is not styled: " + b.js(
            "[...document.querySelectorAll('link[rel=stylesheet]')].map(l => l.href).join(' ')"))


def _axe(b: Browser, source: str) -> list[dict[str, Any]]:
    b.js(source + ";0")
    return b.js("""axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary, impact: n.impact}))})))""")


def _describe(kind: str, path: str, violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    lines = [f"{kind} ({path or '/'}): {violation['id']} [{violation['impact']}] {violation['help']}"
             f" - {len(nodes)} node(s)"]
    for node in nodes[:5]:
        summary = " ".join((node["summary"] or "").split())
        lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


@pytest.mark.skipif(not AXE.is_file(), reason=f"axe-core is not installed in {AXE.parent} (make test installs it)")
@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_axe_finds_no_serious_violation(site: Site, viewport: str, palette: str) -> None:
    source = AXE.read_text("utf-8")
    blocking, other = [], []
    with Browser(CHROMIUM, dark=PALETTES[palette], **VIEWPORTS[viewport]) as b:
        for kind in ("landing", "section", "question", "tags", "legacy", "404"):
            _open(b, site, kind)
            for v in _axe(b, source):
                (blocking if v["impact"] in BLOCKING else other).append(_describe(kind, site.pages[kind], v))
    for line in other:
        print("not blocking:", line)
    assert not blocking, f"axe-core, {viewport} {palette}:\n" + "\n".join(blocking)


def _artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = os.environ.get("FAQKB_ARTIFACTS")
    folder = Path(where) / "screenshots" if where else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("palette", PALETTES)
@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_screenshots_of_every_kind_of_page(site: Site, viewport: str, palette: str,
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = _artifacts(tmp_path_factory)
    wide = []
    with Browser(CHROMIUM, dark=PALETTES[palette], **VIEWPORTS[viewport]) as b:
        for kind in site.pages:
            _open(b, site, kind)
            scheme = b.js("document.body.getAttribute('data-md-color-scheme')")
            assert scheme == ("slate" if PALETTES[palette] else "default"), (kind, scheme)
            # The page itself never scrolls sideways (a code block may, on its own).
            overflow = b.js("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            if overflow > 0:
                wide.append(f"{kind}: {overflow} px wider than the screen")
            shot = b.send("Page.captureScreenshot", format="png")["data"]
            png = base64.b64decode(shot)
            assert png.startswith(b"\x89PNG"), kind
            (folder / f"{kind}-{viewport}-{palette}.png").write_bytes(png)
    print(f"screenshots in {folder}")
    assert not wide, wide


def test_the_404_page_under_a_sub_path_is_styled_and_its_links_work(site: Site) -> None:
    with Browser(CHROMIUM) as b:
        _open(b, site, "404")
        assert b.js("document.querySelector('.md-content h1').textContent").startswith("404")
        # Every stylesheet, script and link of the page points into the site, under SUB.
        urls = b.js("""[...document.querySelectorAll('link[href], script[src], a[href]')]
                       .map(e => e.href || e.src).filter(u => u.startsWith(location.origin))""")
        assert urls and all(u.startswith(site.base) for u in urls), [
            u for u in urls if not u.startswith(site.base)]
        # ... and the site's search works from it.
        b.click("input[data-md-component=search-query]")
        b.send("Input.insertText", text="certificate")
        assert b.wait_for("document.querySelectorAll('.md-search-result__item').length")
