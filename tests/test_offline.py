"""`faqkb build --offline`: a site a reader opens from disk (file://, no server, no network),
in headless Chromium with real clicks: the navigation goes to a section's page (not to a
directory listing), a question opens, and the site search finds the right entry."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator

import pytest
import yaml

from tests.cdp import Browser
from tests.kbutil import VerifiedKb, copy_tree, run_faqkb

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")

#: A pasted OpenSSL error line, and the entry that answers it.
QUERY, ANSWER = "error:0A000126", "io-ie"


class Offline:
    """The offline site: its index.html as a file:// URL, the section and question to open."""

    def __init__(self, index: str, section: tuple[str, str], question: tuple[str, str]) -> None:
        self.index, self.section, self.question = index, section, question


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory, verified_kb: VerifiedKb) -> Iterator[Offline]:
    project = copy_tree(verified_kb.path, tmp_path_factory.mktemp("offline") / "kb")
    built = run_faqkb(project, "build", "--offline", home=tmp_path_factory.mktemp("home"), timeout=900)
    assert built.returncode == 0, built.stderr[-5000:]
    site = project / "site"
    # Nothing in the site asks a server or a CDN for anything (the reader may have no network).
    for page in site.rglob("*.html"):
        assert not re.search(r'<script[^>]+src="https?://', page.read_text("utf-8")), page
    sections = yaml.safe_load((project / "docs" / "faq" / "_sections.yml").read_text())
    first = sections[0]
    entry = first["entries"][0]
    question = yaml.safe_load((project / "docs" / "faq" / f"{entry}.yml").read_text())["question"]
    yield Offline((site / "index.html").as_uri(), (first["id"], first["title"]), (entry, question))


def _landed(b: Browser) -> None:
    """The page that opened is one of the site's (Material's), not a directory listing."""
    b.wait_for("document.readyState === 'complete' && document.querySelector('.md-header') !== null")
    assert b.js("location.protocol") == "file:"


def test_pages_navigation_and_search_work_from_file_urls(offline: Offline) -> None:
    section_id, section_title = offline.section
    entry_id, question = offline.question
    with Browser(CHROMIUM) as b:
        b.open(offline.index)
        _landed(b)
        # Into a section, by its link in the navigation
        b.click(f'.md-nav--primary a.md-nav__link[href$="faq/{section_id}.html"]')
        b.wait_for(f"location.pathname.endsWith('/faq/{section_id}.html')")
        _landed(b)
        title = b.js("document.querySelector('.md-content h1').textContent")
        assert title.replace("\u00b6", "").strip() == section_title  # without the permalink's pilcrow
        # ... and into its first question: a page of its own, or its place on the section's page
        link = b.js(f"""(() => {{
            const a = [...document.querySelectorAll('.md-content a[href], .md-sidebar--secondary a[href]')]
              .find(a => /(^|\\/|#){entry_id}(\\.html)?$/.test(a.getAttribute('href')));
            if (!a) return null;
            a.setAttribute('data-test-question', '');
            return a.getAttribute('href');
        }})()""")
        assert link, f"no link to {entry_id} on the {section_id} page"
        b.click("[data-test-question]")
        b.wait_for(f"location.href.includes({json.dumps(entry_id)})")
        _landed(b)
        heading = b.wait_for(f"""(() => {{
            const h = [...document.querySelectorAll('.md-content h1, .md-content h2')]
              .find(h => h.textContent.includes({json.dumps(question)}));
            return h && h.getBoundingClientRect().top < innerHeight && h.textContent;
        }})()""")
        assert question in heading
        # The site's search, from file:// (its index inlined into a script, its worker shimmed)
        b.click("input[data-md-component=search-query]")
        b.wait_for("document.activeElement.matches('input[data-md-component=search-query]')")
        b.send("Input.insertText", text=QUERY)
        # A person's typing ends with a key going up, which is what Material's search listens
        # to once its index is loaded (insertText alone fires only "input").
        b.press("End", 35)
        # The answer shows up (bounded wait: the worker may still be loading the index) ...
        b.wait_for(f"document.querySelector('.md-search-result a[href*={json.dumps(ANSWER)}]') !== null")
        # ... as the first answer: a question's own page, or a question on its section's page
        # (the section's own result, the page title, comes before its questions there).
        found = [re.sub(r"\?[^#]*", "", h) for h in b.js(  # Material adds ?h=<query>
            "[...document.querySelectorAll('.md-search-result a')].map(a => a.getAttribute('href'))")]
        answers = [h for h in found if "#" in h or h.endswith(f"/{ANSWER}.html")]
        assert answers and re.search(rf"(#{ANSWER}|/{ANSWER}\.html(#.*)?)$", answers[0]), found[:8]
