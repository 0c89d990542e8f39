"""A real `mkdocs build --strict` with the faqkb plugin, and `faqkb build`/`render`."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

ENTRY = MINIMAL.format(id="alpha") + """\
tags: [keys]
aliases: ["error:0A0000C1:SSL routines::no shared cipher"]
then_and_now: |
  The old answer said something else.
see_also: [beta]
commands:
  - title: Make a key
    run: openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out k.pem && cat k.pem
    expect: {files: [k.pem], stdout: ['BEGIN PRIVATE KEY']}
  - run: "printf 'x\\\\n' >&2; exit 3"
    expect: {exit: 0}
"""


def text_of(page: str) -> str:
    """The visible text of an HTML page (syntax highlighting splits commands into spans)."""
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_plugin_renders_entries_with_anchors_and_real_output(tmp_path: Path, mkdocs) -> None:
    project = make_project(tmp_path, {"alpha": ENTRY.replace("exit 3", "exit 0"),
                                      "beta": MINIMAL.format(id="beta")})
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    assert re.search(r'<h1[^>]* id="beta"', (project / "site" / "faq" / "beta" / "index.html").read_text())
    page = (project / "site" / "faq" / "alpha" / "index.html").read_text()
    assert re.search(r'<h1[^>]* id="alpha"', page)
    page = text_of(page)
    assert "openssl genpkey -algorithm RSA" in page
    assert "BEGIN PRIVATE KEY" in page and "[private key redacted]" in page  # the real, redacted output
    assert re.search(r"2 commands checked with OpenSSL 3\.\d+\.\d+\S* on \S+: 2 verified\.", page), page
    assert "Then and now" in page and "The old answer said something else." in page
    assert not (project / "site" / "faq" / "alpha.yml").exists()  # raw entries are not published
    assert (project / "site" / "faq" / "tags" / "index.html").is_file()


def test_failing_command_warns_and_strict_fails(tmp_path: Path, mkdocs) -> None:
    project = make_project(tmp_path, {"alpha": ENTRY, "beta": MINIMAL.format(id="beta")})
    lax = mkdocs(project, "build")
    assert lax.returncode == 0
    # worded as `faqkb verify` words it: where, which command, then why
    assert "entry 'alpha', command 2 FAILED: " in lax.stderr
    assert "\n    exit status 3, expected 0" in lax.stderr
    page = (project / "site" / "faq" / "alpha" / "index.html").read_text()
    assert "Verification FAILED" in page
    strict = mkdocs(project, "build", "--strict")
    assert strict.returncode != 0


def test_invalid_content_stops_build_with_positions(tmp_path: Path, mkdocs) -> None:
    project = make_project(tmp_path, {"alpha": "id: alpha\nid: again\n"})
    res = mkdocs(project, "build")
    assert res.returncode != 0
    assert "alpha.yml:2:1: duplicate key 'id'" in res.stderr
    assert "Traceback" not in res.stderr


def test_faqkb_build_is_atomic(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ENTRY.replace("exit 3", "exit 0"),
                                      "beta": MINIMAL.format(id="beta")})
    ok = faqkb(project, "build", "--strict", timeout=300)
    assert ok.returncode == 0, ok.stderr
    index = project / "site" / "faq" / "certificates" / "index.html"
    before = index.read_text()
    (project / "docs" / "faq" / "beta.yml").write_text("id: beta\nid: beta\n")
    bad = faqkb(project, "build", "--strict", timeout=300)
    assert bad.returncode != 0
    assert index.read_text() == before  # the previous site is untouched
    assert sorted(p.name for p in project.iterdir() if p.name.startswith((".site", "site"))) == ["site"]


def test_render_writes_complete_docs_tree(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha")})
    out = tmp_path / "rendered"
    res = faqkb(project, "render", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert (out / "index.md").is_file()
    text = (out / "faq" / "alpha.md").read_text()
    assert "# What is alpha? { #alpha" in text
    assert not list(out.rglob("*.yml"))


def test_page_shows_client_and_server_side_of_a_reproduced_error(tmp_path: Path, faqkb) -> None:
    entry = MINIMAL.format(id="alpha") + """\
commands:
  - run: openssl s_client -connect {{ server }} < /dev/null
    scenario: no-shared-cipher
    expect: {exit: nonzero, output: ['handshake failure'], server_log: ['no shared cipher']}
"""
    project = make_project(tmp_path, {"alpha": entry})
    out = tmp_path / "out"
    res = faqkb(project, "render", "--out", str(out))
    assert res.returncode == 0, res.stderr
    page = (out / "faq" / "alpha.md").read_text()
    assert "$ openssl s_client -connect localhost:443 < /dev/null" in page  # the reader's form
    assert "alert handshake failure" in page  # what the client printed
    log = page.split("Meanwhile the server logged:", 1)[1]
    assert "[SSL: NO_SHARED_CIPHER] no shared cipher" in log.split("```")[1]
    # It fails on purpose: its own mark, with the real exit status and what was checked.
    assert re.search(r'<p class="faqkb-mark faqkb-mark-reproduced" title="with OpenSSL 3\.[^"]*">'
                     r'Reproduces the error: exit [1-9]\d* · 1 pattern · 1 server-log line · '
                     r'server scenario <code>no-shared-cipher</code></p>', page), page
    assert re.search(r'<p class="faqkb-entry-mark faqkb-entry-mark-passed">1 command checked with OpenSSL '
                     r'3\.\S+ on \S+: 1 reproduces an error on purpose\.</p>', page), page


def test_legacy_page_forwards_old_anchors(tmp_path: Path, mkdocs) -> None:
    entry = MINIMAL.format(id="alpha").replace("ref: alpha", "ref: oldname")
    project = make_project(tmp_path, {"alpha": entry})
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("plugins: [faqkb]", "plugins: [{faqkb: {legacy_page: old/faq.html}}]"))
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    page = (project / "site" / "old" / "faq.html").read_text()
    table = json.loads(re.search(r"var table = (\{.*?\});", page).group(1))
    assert table["oldname"] == "../faq/alpha/" and table["alpha"] == "../faq/alpha/"
    assert '<a href="../faq/alpha/">What is alpha?</a> <small>(#oldname)</small>' in page
