"""Transcripts a reader can trust: a command that fails on purpose has its own mark with its
real exit status, marks say compactly what was checked, long output is folded (its matched
lines kept in view) and long output lines wrap while the command does not."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from tests.kbutil import MINIMAL, chromium_report, make_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LONG_LINE = "a long output line " + "that goes on " * 30 + "and ends with the words that matter"

COMMANDS = f"""\
commands:
  - run: seq 1 40; echo 'the needle is here'; seq 41 50; echo '{LONG_LINE}'
    expect: {{stdout: ['needle', 'words that matter']}}
  - run: ls /no/such/file
    expect: {{exit: 2, stderr: ['No such file']}}
  - run: "false"
    expect: {{exit: nonzero}}
  - run: echo made > made.txt; seq 1 3
    expect: {{stdout: ['^2$'], stdout_not: ['^9$'], files: [made.txt]}}
"""


@pytest.fixture
def site(tmp_path: Path, mkdocs) -> Path:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + COMMANDS})
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    return project / "site"


def page(site: Path) -> str:
    return (site / "faq" / "alpha" / "index.html").read_text()


def marks(text: str) -> list[tuple[str, str]]:
    return re.findall(r'<p class="faqkb-mark faqkb-mark-(\w+)" title="[^"]*">(.*?)</p>', text)


def text(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_a_command_that_fails_on_purpose_says_so_with_its_exit_status(site: Path) -> None:
    got = marks(page(site))
    assert got[1] == ("reproduced", "Reproduces the error: exit 2 · 1 pattern"), got
    assert got[2] == ("reproduced", "Reproduces the error: exit 1"), got
    assert "Verified" not in got[1][1] + got[2][1]
    assert '<div class="faqkb-command faqkb-reproduced">' in page(site)
    css = (site / "assets" / "faqkb.css").read_text()
    symbol = dict(re.findall(r'\.faqkb-mark-(\w+)::before \{ content: "(.) "', css))
    assert symbol["reproduced"] not in (symbol["passed"], symbol["failed"], symbol["unverified"]), symbol


def test_the_mark_says_what_was_checked_in_one_short_line(site: Path) -> None:
    got = marks(page(site))
    assert got[3] == ("passed", "Verified: exit 0 · 2 patterns · 1 file"), got
    assert got[0] == ("passed", "Verified: exit 0 · 2 patterns"), got
    # The tools and the date are said once, for the entry; each mark has them as its tooltip.
    assert re.search(r'<p class="faqkb-entry-mark faqkb-entry-mark-passed">4 commands checked on '
                     r'\d{4}-\d\d-\d\d: 2 verified, 2 reproduce an error on purpose\.</p>', page(site)), page(site)
    assert re.findall(r'class="faqkb-mark faqkb-mark-\w+" title="(on \d{4}-\d\d-\d\d)"', page(site))
    assert all(len(text(m)) < 80 for _, m in got), got


def test_long_output_is_folded_keeping_its_first_and_matched_lines(site: Path) -> None:
    body = page(site)
    first = body.index("faqkb-command")
    block = re.search(r"<code>(.*?)</code></pre>", body[first:], re.S)
    assert block
    shown = text(block.group(1)).split("\n")
    # the first 8 lines, then what the expectations matched, the rest said to be left out
    assert shown[1:10] == [*map(str, range(1, 9)), "[... 32 lines ...]"], shown
    assert "the needle is here" in shown and LONG_LINE in shown
    assert "20" not in shown and "45" not in shown
    folded = re.search(r'<details class="faqkb-full-output">\s*<summary>(.*?)</summary>(.*?)</details>',
                       body, re.S)
    assert folded, body[first:first + 3000]
    assert folded.group(1) == "Show all 52 lines of output (42 hidden above)"
    full = text(re.search(r"<code>(.*?)</code>", folded.group(2), re.S).group(1)).rstrip("\n").split("\n")  # type: ignore[union-attr]
    assert full[:40] == [str(i) for i in range(1, 41)] and full[-1] == LONG_LINE and len(full) == 52
    # Short output is not folded.
    assert body.count("<details") == 1


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")
def test_a_folded_output_opens_on_click_and_output_lines_wrap(site: Path) -> None:
    # The real page in a frame (its own stylesheets, Material's too), measured from outside.
    (site / "foldtest.html").write_text("""<!doctype html><html><body>
<iframe id="f" src="faq/alpha/" style="width:600px;height:800px"></iframe><pre id="out"></pre>
<script>
document.getElementById("f").addEventListener("load", () => {
  const doc = document.getElementById("f").contentDocument, win = doc.defaultView;
  const details = doc.querySelector("details.faqkb-full-output");
  const inner = details.querySelector("pre");
  const got = {closed: details.open, shownClosed: inner.checkVisibility(),
               closedHeight: details.getBoundingClientRect().height};
  details.querySelector("summary").click();
  got.open = details.open;
  got.shownOpen = inner.checkVisibility();
  got.openHeight = details.getBoundingClientRect().height;
  const first = doc.querySelector(".faqkb-command .highlight code");
  got.output = win.getComputedStyle(first.querySelector(".go")).whiteSpace;
  got.command = win.getComputedStyle(first).whiteSpace;
  got.full = win.getComputedStyle(inner.querySelector("code")).whiteSpace;
  got.scrolls = first.scrollWidth > first.clientWidth + 1;
  document.getElementById("out").textContent = JSON.stringify(got);
});
</script></body></html>""")
    got = chromium_report(CHROMIUM, site, "foldtest.html")
    assert got["closed"] is False and got["shownClosed"] is False and got["closedHeight"] < 60, got
    assert got["open"] is True and got["shownOpen"] is True and got["openHeight"] > 400, got
    assert got["output"] == "pre-wrap" and got["full"] == "pre-wrap", got
    assert got["command"] == "pre", got  # the command a reader types is shown as typed
    assert got["scrolls"] is True, got  # ... so its long line still scrolls; the output wraps


def test_a_failed_command_stays_unmissable_in_its_mark_and_the_entry_line(tmp_path: Path, mkdocs) -> None:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + """\
commands:
  - run: echo fine
  - run: exit 3
"""})
    res = mkdocs(project, "build")  # not strict: the page is built, and says so
    assert res.returncode == 0, res.stderr
    body = page(project / "site")
    assert re.search(r'<p class="faqkb-entry-mark faqkb-entry-mark-failed">2 commands checked on '
                     r'\S+: 1 verified, 1 FAILED\.</p>', body), body
    assert '<p class="faqkb-mark faqkb-mark-failed">Verification FAILED: exit status 3, expected 0</p>' in body
