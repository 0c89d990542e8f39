"""``legacy`` is optional: a new FAQ's entries say nothing about an older FAQ."""

from __future__ import annotations

from pathlib import Path

from tests.kbutil import make_project

NEW = """\
id: {id}
section: certificates
question: What is {id}?
answer: An answer.
{legacy}commands:
  - run: echo hi
"""


def test_entries_without_legacy_lint_build_and_say_nothing_of_an_origin(tmp_path: Path, faqkb, mkdocs) -> None:
    project = make_project(tmp_path, {
        "none": NEW.format(id="none", legacy=""),
        "empty": NEW.format(id="empty", legacy="legacy: []\n"),
        "old": NEW.format(id="old", legacy="legacy:\n  - {source: mod_ssl-2.8, ref: oldref, question: Old?}\n"),
    })
    lint = faqkb(project, "lint")
    assert lint.returncode == 0, lint.stderr
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    pages = [(project / "site" / "faq" / e / "index.html").read_text() for e in ("none", "empty", "old")]
    assert [page.count("Originally asked in") for page in pages] == [0, 0, 1]
    page = pages[2]
    assert "Originally asked in mod_ssl-2.8 as <code>#oldref</code>" in page
