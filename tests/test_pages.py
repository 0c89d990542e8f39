"""One page per question, section pages that list them, the landing block, and the site's
plumbing (JSON-LD, sitemap, canonical and Open Graph tags, edit links, search fields, no
source maps or unused search languages): real `mkdocs build --strict` of small KBs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.kbutil import MINIMAL, make_project, set_plugin_options

HOSTILE = 'Why does </script><script>alert(1)</script> & "<!--" break?'

ALPHA = MINIMAL.format(id="alpha").replace("An answer.", (
    "Use **`openssl x509`** with [the manual](https://example.org/x509) and a `<VirtualHost>`. "
    "Then check the rest.\n\n  More text that is not the first paragraph.")) + """\
aliases: ["error:0A0000C1:SSL routines::no shared cipher"]
see_also: [beta]
tags: [keys]
commands:
  - run: "printf 'line one\\\\nthe key values mismatch here\\\\nline three\\\\n'"
    expect: {stdout: ['key values mismatch']}
"""
BETA = MINIMAL.format(id="beta").replace("question: What is beta?\n", f"question: {json.dumps(HOSTILE)}\n").replace(
    "An answer.", "Yes. It is the [first one](#alpha), read on.").replace("ref: beta", "ref: oldbeta")
SITE = """\
site_url: https://example.org/kb/
repo_url: https://example.org/git/kb
edit_uri: edit/main/docs/
"""


def built(tmp_path: Path, mkdocs, *, index: str | None = "# Test KB\n\n<!-- faqkb:landing -->\n",
          options: dict[str, object] | None = None) -> Path:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA}, tags="keys: Keys\n")
    cfg = project / "mkdocs.yml"
    cfg.write_text(SITE + cfg.read_text().replace("theme: {name: material}",
                                                  "theme: {name: material, features: [content.action.edit]}"))
    if options:
        set_plugin_options(project, **options)
    cfg.write_text(cfg.read_text().replace("plugins: [", "plugins: [search, "))
    if index is None:
        (project / "docs" / "index.md").unlink()
    else:
        (project / "docs" / "index.md").write_text(index)
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    return project / "site"


def test_each_question_has_its_own_page(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    page = (site / "faq" / "alpha" / "index.html").read_text()
    assert "<title>What is alpha? - Test KB</title>" in page
    # The answer's first sentence, as plain text (no Markdown, the code's <...> kept as text).
    assert ('<meta name="description" content="Use openssl x509 with the manual and a '
            '&lt;VirtualHost&gt;.">') in page
    assert '<link rel="canonical" href="https://example.org/kb/faq/alpha/">' in page
    assert '<meta property="og:title" content="What is alpha?">' in page
    assert '<meta property="og:url" content="https://example.org/kb/faq/alpha/">' in page
    assert re.search(r'<h1 [^>]*id="alpha"', page)
    # "Edit this page" opens the entry's YAML file, not a generated Markdown page.
    assert 'href="https://example.org/git/kb/edit/main/docs/faq/alpha.yml"' in page
    assert 'href="../beta/"' in page  # see also: the other question's page


def test_one_faqpage_json_ld_per_question_that_a_hostile_question_cannot_break(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    page = (site / "faq" / "beta" / "index.html").read_text()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    data = json.loads(blocks[0])
    assert data["@type"] == "FAQPage" and len(data["mainEntity"]) == 1
    question = data["mainEntity"][0]
    assert question["name"] == HOSTILE
    assert question["acceptedAnswer"]["text"] == "Yes. It is the first one, read on."
    assert "alert(1)</script>" not in page  # escaped in the title, the heading and the JSON
    assert not re.search(r"<script>alert", page)
    for other in ("index.html", "faq/index.html", "faq/certificates/index.html", "faq/tags/index.html"):
        assert "application/ld+json" not in (site / other).read_text(), other


def test_the_section_page_lists_its_questions_and_forwards_their_old_ids(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    page = (site / "faq" / "certificates" / "index.html").read_text()
    items = re.findall(r"<li>(.*?)</li>", page.split("md-content", 1)[1], re.S)
    listed = [i for i in items if 'href="../' in i and "<a id=" in i]
    assert len(listed) == 2
    assert listed[0].startswith('<a id="alpha"></a><a href="../alpha/">What is alpha?</a>: Use openssl x509')
    # beta keeps its old anchor here, and its one-word first sentence gets the next one too
    assert '<a id="beta"></a><a id="oldbeta"></a><a href="../beta/">' in listed[1]
    assert ": Yes. It is the first one, read on." in listed[1]
    table = json.loads(re.search(r"var table = (\{.*?\});", page).group(1))
    assert table == {"alpha": "../alpha/", "beta": "../beta/", "oldbeta": "../beta/"}
    assert "Tags: " not in page and "alpha.yml" not in page  # a list, not the entries
    tags = (site / "faq" / "tags" / "index.html").read_text()
    assert re.search(r'<h2 id="tag-keys">.*?<a href="../alpha/">What is alpha\?</a>', tags, re.S)


def test_the_sitemap_lists_every_page(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    listed = set(re.findall(r"<loc>(.*?)</loc>", (site / "sitemap.xml").read_text()))
    pages = {"https://example.org/kb/" + p.parent.relative_to(site).as_posix().removeprefix(".") + "/"
             for p in site.rglob("index.html")}
    pages = {p.replace("kb//", "kb/") for p in pages}
    assert "https://example.org/kb/faq/beta/" in listed
    assert listed == pages


def test_no_source_maps_or_unused_search_languages_are_shipped(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    assert not list(site.rglob("*.map"))
    assert not (site / "assets" / "javascripts" / "lunr").exists()  # English needs none
    for js in (site / "assets" / "javascripts").rglob("*.js"):
        assert "sourceMappingURL" not in js.read_text(), js


def test_search_weighs_aliases_and_matched_lines_and_leaves_out_transcripts(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs)
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert index["config"]["fields"]["aliases"] == {"boost": 1000.0}
    assert index["config"]["fields"]["evidence"] == {"boost": 0.5}
    doc = next(d for d in index["docs"] if d["location"] == "faq/alpha/")
    assert doc["aliases"] == "error:0A0000C1:SSL routines::no shared cipher"
    # the command and the line its expectation matched; not the other lines of its output
    assert doc["evidence"].split("\n") == ["printf 'line one\\nthe key values mismatch here\\nline three\\n'",
                                           "the key values mismatch here"]
    assert "line three" not in doc["text"] and "no shared cipher" in doc["text"]  # "Also asked as"
    assert "boost" not in doc  # no most_asked list: no question weighs more


def test_most_asked_questions_lead_the_landing_and_weigh_more_in_search(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path, mkdocs, options={"most_asked": ["beta"]})
    home = (site / "index.html").read_text()
    asked = home.split('id="most-asked"', 1)[1].split("</ul>", 1)[0]
    assert 'href="faq/beta/"' in asked and 'href="faq/alpha/"' not in asked
    index = json.loads((site / "search" / "search_index.json").read_text())
    assert next(d for d in index["docs"] if d["location"] == "faq/beta/")["boost"] == 2.0


def test_the_landing_block_replaces_the_marker_or_is_the_home_page(tmp_path: Path, mkdocs) -> None:
    site = built(tmp_path / "marked", mkdocs)
    home = (site / "index.html").read_text()
    assert "faqkb:landing" not in home
    assert re.search(r'<form class="faqkb-search" method="get" role="search"', home)
    assert '<input id="faqkb-search-input" name="q"' in home
    assert re.search(r'<p class="faqkb-verified-line">1 of 1 commands verified on \d{4}-\d\d-\d\d\.</p>', home), home
    # no most_asked: the first question of each section
    assert 'href="faq/alpha/"' in home.split('id="most-asked"', 1)[1].split("</ul>")[0]
    assert re.search(r'<a href="faq/certificates/">Certificates</a> \(2 questions\)', home)
    site = built(tmp_path / "none", mkdocs, index=None)
    home = (site / "index.html").read_text()
    assert '<h1 id="test-kb">Test KB' in home
    assert 'name="q"' in home


def test_an_entry_may_not_take_a_generated_pages_place(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"tags": MINIMAL.format(id="tags"),
                                      "protocol": MINIMAL.format(id="protocol")})
    res = faqkb(project, "build")
    assert res.returncode == 2, res.stderr
    assert "protocol.yml:1:1: entry id 'protocol' would give the question the same page as the page of section 'protocol'" in res.stderr
    assert "tags.yml:1:1: entry id 'tags' would give the question the same page as faqkb's tags page" in res.stderr
    assert "Traceback" not in res.stderr


def test_an_unknown_most_asked_id_is_named_at_its_line(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha")})
    set_plugin_options(project, most_asked=["alpah"])
    res = faqkb(project, "build")
    assert res.returncode == 2, res.stderr
    assert re.search(r"mkdocs\.yml:\d+:\d+: most_asked names no entry 'alpah'; did you mean 'alpha'\?", res.stderr), res.stderr


def test_render_out_writes_the_same_pages(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA}, tags="keys: Keys\n")
    (project / "docs" / "index.md").write_text("# Test KB\n\n<!-- faqkb:landing -->\n")
    out = tmp_path / "rendered"
    res = faqkb(project, "render", "--out", str(out))
    assert res.returncode == 0, res.stderr
    names = sorted(p.relative_to(out).as_posix() for p in (out / "faq").glob("*.md"))
    assert names == ["faq/alpha.md", "faq/beta.md", "faq/certificates.md", "faq/index.md",
                     "faq/protocol.md", "faq/tags.md"]
    question = (out / "faq" / "alpha.md").read_text()
    assert '\ntitle: "What is alpha?"\ndescription: "Use openssl x509' in question.split("\n---\n")[0]
    assert '<script type="application/ld+json">' in question
    home = (out / "index.md").read_text()
    assert "faqkb:landing" not in home and "## Most asked" in home and "(faq/alpha.md)" in home
    assert not list(out.rglob(":*"))  # the plugin's data keys are no files


def test_a_summary_is_whole_sentences_never_a_fragment_a_block_cuts_off() -> None:
    from faqkb.render.markdown import first_sentence

    # A short first sentence takes the next one along, but not the words before a code block.
    assert first_sentence("Remove the MSIE workarounds. The line\n\n```apache\nSetEnvIf x\n```\n") == \
        "Remove the MSIE workarounds."
    assert first_sentence("Yes. It works on every OpenSSL 3 release.\n") == \
        "Yes. It works on every OpenSSL 3 release."
    assert first_sentence("Run this. Then this one:\n\n```sh\nls\n```\n") == "Run this. Then this one…"
