"""Hostile text through every field reaches the built HTML as text: no live script, handler
or javascript: link; braces keep the anchor; nothing shows stray backslashes."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.kbutil import make_project

P = "<script>alert(1)</script> \\\"><img src=x onerror=alert(2)> </script><script>alert(3)</script> `<img src=x onerror=alert(4)>` { onclick=alert(5) } {{ 7*7 }} {% raw %}"
ENTRY = f"""\
id: x-html
section: certificates
question: "Why <no peer certificate> and {{ x }} here? {P}"
aliases: ["A {P}", "T \\e[2J\\e]0;title\\a"]
answer: |
  ANS <script>alert(6)</script> <img src=x onerror=alert(7)> [link](javascript:alert(8))
  and a real one <https://example.org/> and `<code>` stays code.
then_and_now: "TAN <script>alert(9)</script>"
legacy:
  - source: "S {P}"
    ref: "r1</script><script>alert(10)</script>"
    question: "LQ {P}"
  - source: legacy
    ref: 'r2"><img src=x onerror=alert(11)>'
    question: plain
  - source: legacy
    ref: "r3`<img src=x onerror=alert(12)>`"
    question: plain
commands:
  - title: "T {P}"
    note: "N <script>alert(13)</script>"
    run: "printf '%s\\\\n' '<script>alert(14)</script>' '</code></pre><script>alert(15)</script>'"
httpd:
  config: |
    Listen 443
  files:
    "f`<img src=x onerror=alert(16)>`.txt": "content"
"""


class _Live(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on") and value and "alert" in value:
                self.found.append(f"<{tag} {name}={value}>")
            if name in ("href", "src") and value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value}>")

    def handle_data(self, data: str) -> None:
        # Every payload's script is `alert(N)`; faqkb's own scripts hold it only as JSON text.
        if self._in_script and data.strip().startswith("alert("):
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def test_no_payload_is_live_and_the_anchor_holds(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"x-html": ENTRY})
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text().replace(
        "plugins: [faqkb]", "plugins:\n  - faqkb:\n      legacy_page: ssl_faq.html"))
    res = faqkb(project, "build", "--no-verify", "--strict")
    assert res.returncode == 0, res.stderr
    live = {}
    for page in (project / "site").rglob("*.html"):
        parser = _Live()
        parser.feed(page.read_text())
        if parser.found:
            live[str(page.relative_to(project))] = parser.found
    assert not live, live
    page = (project / "site" / "faq" / "x-html" / "index.html").read_text()
    assert 'id="x-html"' in page  # braces in the question did not take the anchor away
    heading = re.search(r'<h1 [^>]*id="x-html"[^>]*>(.*?)</h1>', page, re.S)
    assert heading and "Why &lt;no peer certificate&gt; and { x } here?" in heading.group(1)
    assert "\\&lt;" not in heading.group(1) and "\\{" not in heading.group(1)
    assert "\\x1b[2J" in page  # the escape sequence is shown, not kept raw
    assert "\x1b" not in page and 'href="https://example.org/"' in page
    redirect = (project / "site" / "ssl_faq.html").read_text()
    table = json.loads(re.search(r"var table = (\{.*?\});", redirect, re.S).group(1))
    assert table["r1</script><script>alert(10)</script>"].endswith("/x-html/")


def test_search_prints_escape_sequences_as_text(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"x-html": ENTRY})
    res = faqkb(project, "search", "title")
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout and "\\x1b" in res.stdout


def test_a_long_output_line_is_clipped_on_the_page(tmp_path: Path, faqkb) -> None:
    entry = ENTRY.split("commands:")[0].replace("x-html", "long") + (
        "commands:\n  - run: head -c 1048576 /dev/zero | tr '\\0' x\n")
    entry = entry.split("httpd:")[0]
    project = make_project(tmp_path, {"long": entry})
    res = faqkb(project, "build", timeout=300)  # quadratic highlighting would take about an hour
    assert res.returncode == 0, res.stderr
    page = (project / "site" / "faq" / "long" / "index.html").read_text()
    assert "x" * 2000 + " [... 1046576 more characters]" in page and "x" * 2001 not in page
