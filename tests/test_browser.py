"""The built site in a real headless browser (Debian's Chromium): pages render, old links land,
the palette toggle (a real click) switches the colours, text keeps its contrast in both
palettes, and a code block that scrolls is reached with Tab and scrolled with the arrow keys."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator

import pytest

from tests.cdp import Browser, BrowserError
from tests.kbutil import VerifiedKb, copy_tree, run_faqkb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, verified_kb: VerifiedKb) -> Iterator[str]:
    """The real knowledge base built with `faqkb build`, served on 127.0.0.1.

    Built in its own copy of the session's verified KB, whose results it reuses."""
    project = copy_tree(verified_kb.path, tmp_path_factory.mktemp("site") / "kb")
    built = run_faqkb(project, "build", home=tmp_path_factory.mktemp("home"), timeout=900)
    assert built.returncode == 0, built.stderr[-5000:]
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # As if served at its site_url: Material's instant navigation follows only the links its
    # sitemap lists, and takes only the scheme and host name from the page's own URL.
    sitemap = project / "site" / "sitemap.xml"
    site_url = re.search(r"<loc>(https?://[^<]*?/)faq/", sitemap.read_text()).group(1)
    sitemap.write_text(sitemap.read_text().replace(f"<loc>{site_url}", f"<loc>{base}/"))
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def dom(url: str) -> str:
    """The page's DOM after its scripts ran, as Chromium sees it."""
    with tempfile.TemporaryDirectory(prefix="faqkb-chromium-") as profile:
        out = subprocess.run(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", url],
            capture_output=True, text=True, timeout=120, check=True, start_new_session=True)
    return out.stdout


def test_entry_page_renders_verified_commands(site: str) -> None:
    page = dom(f"{site}/faq/cipher-shared/")
    assert re.search(r'<h1 [^>]*id="cipher-shared"', page)
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    assert "no shared cipher" in title and title.endswith(" - The mod_ssl FAQ, verified")
    assert "no shared cipher" in page
    assert re.search(r"Verified: exit 0 · [^<]*server scenario <code>", page)


def test_old_anchor_lands_on_todays_entry(site: str) -> None:
    page = dom(f"{site}/ssl_faq.html#pemder")
    assert re.search(r'<h1 [^>]*id="pem-to-der"', page), page[:3000]
    assert "<title>Certificates - " not in page  # the question's own page, not its section's


# ------------------------------------------------------------------ real clicks and key presses
#: The WCAG 2 contrast of an element's text (or its ::before) on what is behind it, alpha
#: composited the way the browser paints it.
CONTRAST_JS = """
const rgba = s => { const m = s.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
const over = (fg, bg) => [0, 1, 2].map(i => fg[i] * fg[3] + bg[i] * (1 - fg[3])).concat([1]);
const backdrop = el => {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) { layers.push(c); if (c[3] === 1) break; }
  }
  return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]);
};
const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                   return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
window.faqkbContrast = (selector, pseudo) => {
  const el = document.querySelector(selector);
  if (!el) return null;
  const bg = backdrop(el), fg = over(rgba(getComputedStyle(el, pseudo || null).color), bg);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  return Math.round((hi + 0.05) / (lo + 0.05) * 100) / 100;
};
"""

#: Text a reader must be able to read, in both palettes (selector, pseudo-element).
TEXTS = {
    "a link in an answer": (".md-content .faqkb-see-also a", None),
    "a tag": (".md-content .faqkb-tag", None),
    "the header's title": (".md-header__topic .md-ellipsis", None),
    "console output": (".md-content .highlight .go", None),
    "a command": (".md-content .highlight code", None),
    "the passed mark's tick": (".faqkb-mark-passed", "::before"),
    "the passed mark's text": (".faqkb-mark-passed", None),
}

PALETTE_TOGGLE = "form[data-md-component=palette] label:not([hidden])"


def _scheme(b: Browser) -> list[str]:
    return b.js("[document.body.getAttribute('data-md-color-scheme'), getComputedStyle(document.body).backgroundColor]")


def test_the_palette_follows_the_system_and_the_toggle_switches_it(site: str) -> None:
    with Browser(CHROMIUM, dark=True) as b:  # a reader whose system is dark gets the dark page
        b.open(f"{site}/faq/protocol/")
        assert _scheme(b) == ["slate", "rgb(30, 33, 41)"]
    with Browser(CHROMIUM) as b:
        b.open(f"{site}/faq/protocol/")
        assert _scheme(b) == ["default", "rgb(255, 255, 255)"]
        assert b.js(f"document.querySelector({PALETTE_TOGGLE!r}).title") == "Switch to the dark palette"
        b.click(PALETTE_TOGGLE)
        b.wait_for("document.body.getAttribute('data-md-color-scheme') === 'slate'")
        assert _scheme(b) == ["slate", "rgb(30, 33, 41)"]
        b.open(f"{site}/faq/certificates/")  # the choice is kept from page to page
        assert _scheme(b) == ["slate", "rgb(30, 33, 41)"]
        b.click(PALETTE_TOGGLE)
        b.wait_for("document.body.getAttribute('data-md-color-scheme') === 'default'")
        assert _scheme(b) == ["default", "rgb(255, 255, 255)"]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_reaches_4_5_to_1_in_both_palettes(site: str, dark: bool) -> None:
    with Browser(CHROMIUM, dark=dark) as b:
        b.open(f"{site}/faq/cipher-shared/")  # a question with every kind of text
        assert _scheme(b)[0] == ("slate" if dark else "default")
        b.js(CONTRAST_JS)
        ratios = {what: b.js(f"faqkbContrast({sel!r}, {pseudo!r})" if pseudo else f"faqkbContrast({sel!r})")
                  for what, (sel, pseudo) in TEXTS.items()}
    assert None not in ratios.values(), ratios  # every kind of text is on the page
    assert all(r >= 4.5 for r in ratios.values()), ratios


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_a_code_block_that_scrolls_is_reached_with_tab_and_scrolled_with_the_keys(site: str, phone: bool) -> None:
    size = {"width": 390, "height": 844, "mobile": True} if phone else {}
    with Browser(CHROMIUM, **size) as b:
        b.open(f"{site}/faq/cipher-shared/")
        # The first block that scrolls sideways, and the permalink of the question it belongs to.
        target = b.js("""(() => {
            const code = [...document.querySelectorAll('.md-content pre > code')].find(c => c.scrollWidth > c.clientWidth);
            if (!code) return null;
            code.setAttribute('data-test-target', '');
            const heads = [...document.querySelectorAll('.md-content h1')].filter(
                h => h.compareDocumentPosition(code) & Node.DOCUMENT_POSITION_FOLLOWING);
            const link = heads[heads.length - 1].querySelector('a.headerlink');
            link.focus();
            return [heads[heads.length - 1].id, document.activeElement === link];
        })()""")
        assert target and target[1], target
        # faqkb.js gives the block its tabindex when Material has mounted the page (document$),
        # which can come after the load event Browser.open waits for: Tab only once it has.
        b.wait_for("document.querySelector('[data-test-target]').getAttribute('tabindex') === '0'")
        seen = []
        for _ in range(60):  # Tab on from the question's heading until the block has the focus
            b.press("Tab", 9)
            seen.append(b.js("document.activeElement.outerHTML.slice(0, 80)"))
            if b.js("document.activeElement.hasAttribute('data-test-target')"):
                break
        else:
            pytest.fail(f"Tab never reached the scrolling block under #{target[0]}: {seen}")
        # Chromium (since 130) lets Tab reach a scroller by itself; Safari and older browsers
        # need the tabindex, and so does axe (scrollable-region-focusable).
        assert b.js("document.activeElement.getAttribute('tabindex')") == "0"
        assert b.js("document.activeElement.scrollLeft") == 0
        b.press("ArrowRight", 39)
        scrolled = "document.activeElement.hasAttribute('data-test-target') && document.activeElement.scrollLeft > 0"
        try:
            b.wait_for(scrolled)
        except BrowserError:
            pytest.fail("ArrowRight did not scroll the focused block: " + b.js(
                "document.activeElement.outerHTML.slice(0, 120) + ' scrollLeft=' + document.activeElement.scrollLeft"))
        # A block that fits is not a tab stop of its own.
        assert b.js("[...document.querySelectorAll('.md-content pre > code[tabindex]')].every(c => c.scrollWidth > c.clientWidth)")


# Every text box of every block with a copy button, scrolled to its end, against the button:
# the overlaps as "block: text", where a line ends under the icon.
# Every visible character of every block with a copy button, the block scrolled to its end,
# against the button (spaces do not count: wrapped lines let them hang past the edge): the
# overlaps as "block: the text up to that character".
_UNDER_THE_COPY_BUTTON = """(() => {
    const out = [];
    document.querySelectorAll('.md-content pre').forEach((pre, i) => {
        // Material 9.7 puts its buttons in a nav (.md-code__nav); older ones had .md-clipboard
        const button = pre.querySelector('.md-code__nav, .md-clipboard'), code = pre.querySelector('code');
        if (!button || !code || !button.offsetParent) return;
        code.scrollLeft = code.scrollWidth;  // a line that scrolls: its end, once scrolled to
        const b = button.getBoundingClientRect();
        const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
        for (let node; (node = walker.nextNode());) {
            const text = node.textContent;
            for (let k = 0; k < text.length; k++) {
                if (/\\s/.test(text[k])) continue;
                const range = document.createRange();
                range.setStart(node, k);
                range.setEnd(node, k + 1);
                const r = range.getBoundingClientRect();
                if (r.width > 0 && r.right > b.left + 0.5 && r.left < b.right && r.bottom > b.top && r.top < b.bottom) {
                    out.push(i + ': ' + text.slice(0, k + 1).trim().slice(-40));
                    break;
                }
            }
        }
    });
    return out;
})()"""


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_the_copy_button_covers_no_text(site: str, phone: bool) -> None:
    """Material's copy icon sits in a block's top right corner; a line running to the edge
    (a server log line, a command that wraps) must end before it, not under it."""
    size = {"width": 390, "height": 844, "mobile": True} if phone else {}
    with Browser(CHROMIUM, **size) as b:
        for page in ("cipher-shared", "startup", "gid-chain"):
            b.open(f"{site}/faq/{page}/")
            b.wait_for("document.querySelectorAll('.md-content pre [data-md-type=copy], .md-content pre .md-clipboard').length > 3")
            assert b.js(_UNDER_THE_COPY_BUTTON) == [], page


def _type_in_the_search_box(b: Browser, site: str, query: str) -> None:
    """Open the home page, click Material's search box and type ``query``, as a reader does."""
    b.open(f"{site}/")
    b.click("input[data-md-component=search-query]")
    b.wait_for("document.activeElement.matches('input[data-md-component=search-query]')")
    b.send("Input.insertText", text=query)


@pytest.mark.parametrize("query", ["error:0A000126", "0A000126"])
def test_site_search_finds_an_openssl_error_code(site: str, query: str) -> None:
    """":" is a separator of the site's search: the code of a pasted error line is a word of its own."""
    with Browser(CHROMIUM) as b:
        _type_in_the_search_box(b, site, query)
        found = b.wait_for("""(() => {
            const links = [...document.querySelectorAll('.md-search-result__list > li > a')];
            return links.length ? links.map(a => new URL(a.href).pathname) : null;
        })()""")
        # Material lists the words of the query a result lacks under it ("Missing: 0a000126")
        missing = b.js("(document.querySelector('.md-search-result a[href*=\"/faq/io-ie/\"] .md-search-result__terms')"
                       " || {textContent: ''}).textContent")
    assert found[0] == "/faq/io-ie/", found[:5]  # the entry for this error, first
    assert missing == "", missing


# ------------------------------------------------------------------ a page per question, old links, search
def _entries(verified_kb: VerifiedKb) -> list[str]:
    from faqkb.load.loader import load_kb

    kb = load_kb(verified_kb.path / "docs" / "faq", verified_kb.path / "snippets")
    return [e.id for s in kb.sections for e in kb.in_section(s.id)]


def _path(b: Browser) -> str:
    return b.js("location.pathname + location.search")


def _after_redirect(b: Browser, expression: str) -> None:
    """Wait for ``expression`` across the page loads a redirect makes (a page being replaced
    has no context to evaluate in for a moment)."""
    for _ in range(3):
        try:
            b.wait_for(expression)
            return
        except BrowserError as exc:
            if "context" not in str(exc).lower() and "still false" in str(exc):
                raise
    b.wait_for(expression)


@pytest.mark.parametrize(("old", "lands_on"), [
    ("faq/protocol/#cipher-shared", "/faq/cipher-shared/"),  # a question's place on its section page
    ("faq/protocol/#sharedciphers", "/faq/cipher-shared/"),  # an old anchor there
    ("ssl_faq.html#sharedciphers", "/faq/cipher-shared/"),  # the old single-page FAQ
    ("ssl_faq.html#pemder", "/faq/pem-to-der/"),
    ("ssl_faq.html#cipher-shared", "/faq/cipher-shared/"),
])
def test_every_old_url_lands_on_the_questions_page(site: str, old: str, lands_on: str) -> None:
    with Browser(CHROMIUM) as b:
        b.open(f"{site}/{old}")
        _after_redirect(b, f"location.pathname === {lands_on!r} && !!document.querySelector('.md-content h1')")
        assert b.js("document.querySelector('.md-content h1').id") == lands_on.strip("/").split("/")[-1]


def test_an_unknown_old_anchor_lands_on_a_themed_page_listing_every_question(site: str, verified_kb: VerifiedKb) -> None:
    with Browser(CHROMIUM, width=390, height=844, mobile=True) as b:
        b.open(f"{site}/ssl_faq.html#no-such-anchor")
        _after_redirect(b, "location.pathname === '/faq/' && !!document.querySelector('.md-header')")
        assert _path(b) == "/faq/?anchor=no-such-anchor"
        notice = b.js("document.getElementById('faqkb-unknown-anchor')")
        assert notice is not None
        assert b.js("document.getElementById('faqkb-unknown-anchor').hidden") is False
        assert b.js("document.getElementById('faqkb-unknown-anchor').textContent").startswith(
            "#no-such-anchor is not an anchor this FAQ knows.")
        assert b.js("!!document.querySelector('form.faqkb-search input[name=q]')")
        assert b.js("!!document.querySelector('input[data-md-component=search-query]')")  # the theme's own
        listed = b.js("[...document.querySelectorAll('.md-content li a')].map(a => new URL(a.href).pathname)")
    assert listed == [f"/faq/{e}/" for e in _entries(verified_kb)]


def test_instant_navigation_between_two_question_pages(site: str) -> None:
    with Browser(CHROMIUM) as b:
        b.open(f"{site}/faq/cipher-shared/")
        b.js("window.faqkbSamePage = true")
        target = b.js("document.querySelector('.faqkb-see-also a').getAttribute('href')")
        b.click(".faqkb-see-also a")
        name = target.strip("/").split("/")[-1]
        b.wait_for(f"location.pathname === '/faq/{name}/' && document.querySelector('.md-content h1')?.id === {name!r}")
        assert b.js("window.faqkbSamePage") is True  # no full page load: Material swapped the content
        assert b.js("document.title").startswith(b.js("document.querySelector('.md-content h1').textContent").rstrip("¶"))
        # faqkb.js ran again for the new page (document$): its scrolling blocks are focusable
        assert b.js("[...document.querySelectorAll('.md-content pre > code')].filter(c => c.scrollWidth > c.clientWidth)"
                    ".every(c => c.getAttribute('tabindex') === '0')")


#: What a reader types -> the question that answers it (the entries' own error lines, and the
#: old FAQ's anchors: #sharedciphers is cipher-shared, #remove-passphrase, #verify, ...).
QUERIES = {
    "no shared cipher": ("cipher-shared",),
    "AH02578": ("startup", "remove-passphrase"),
    "error:0A000126": ("io-ie",),
    "pass phrase": ("startup", "remove-passphrase", "change-passphrase"),
    "key values mismatch": ("verify-key",),
    "SSLCertificateChainFile": ("gid-chain",),
    "wrong version number": ("hang",),
    "self signed certificate test": ("cert-dummy",),
}


@pytest.mark.parametrize("query", list(QUERIES))
def test_the_search_box_puts_the_right_question_first(site: str, query: str) -> None:
    with Browser(CHROMIUM) as b:
        _type_in_the_search_box(b, site, query)
        first = b.wait_for("""(() => {
            const a = document.querySelector('.md-search-result__list > li > a');
            return a ? new URL(a.href).pathname : null;
        })()""")
    assert first.strip("/").split("/")[-1] in QUERIES[query], first


def test_the_landing_search_opens_the_sites_search_with_the_pasted_line(site: str) -> None:
    with Browser(CHROMIUM) as b:
        b.open(f"{site}/")
        b.click("#faqkb-search-input")
        b.send("Input.insertText", text="error:0A000126:SSL routines::unexpected eof while reading")
        b.send("Input.dispatchKeyEvent", type="keyDown", key="Enter", code="Enter", text="\r",
               windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)  # submits the form
        b.send("Input.dispatchKeyEvent", type="keyUp", key="Enter", code="Enter",
               windowsVirtualKeyCode=13, nativeVirtualKeyCode=13)
        _after_redirect(b, "location.search.startsWith('?q=') || location.search === ''")
        first = b.wait_for("""(() => {
            const a = document.querySelector('.md-search-result__list > li > a');
            return a && document.querySelector('[data-md-toggle=search]').checked ? new URL(a.href).pathname : null;
        })()""")
        assert b.js("document.querySelector('input[data-md-component=search-query]').value") == \
            "error:0A000126:SSL routines::unexpected eof while reading"
    assert first == "/faq/io-ie/"
