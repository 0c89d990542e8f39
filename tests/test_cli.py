"""CLI behaviour: exit codes, clean errors, documentation."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kbutil import MINIMAL, REPO, make_project


def test_repository_kb_lints_clean(faqkb) -> None:
    res = faqkb(REPO, "lint", "docs/faq")  # lint only reads
    assert res.returncode == 0, res.stderr
    assert "no problems" in res.stderr


def test_lint_malformed_exit_2_with_positions_and_no_traceback(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {
        "a": "id: a\nquestion: [\n",
        "b": MINIMAL.format(id="b") + "see_also: [zzz]\n",
        "c": MINIMAL.format(id="c") + "tags: nope\n",
        "d": MINIMAL.format(id="d") + "section: protocol\n",
    })
    res = faqkb(project, "lint", "docs/faq")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.splitlines()
    assert any(re.match(r".*/a\.yml:3:1: YAML syntax error", ln) for ln in lines), lines
    assert any(re.match(r".*/b\.yml:8:12: unknown see_also entry 'zzz'", ln) for ln in lines), lines
    assert any(re.match(r".*/c\.yml:8:7: tags must be a list", ln) for ln in lines), lines
    assert any(re.match(r".*/d\.yml:8:1: duplicate key 'section'", ln) for ln in lines), lines
    assert lines[-1] == "faqkb: 4 problems found; fix them and run again."


def test_lint_missing_dir(tmp_path: Path, faqkb) -> None:
    res = faqkb(tmp_path, "lint", str(tmp_path / "nowhere"))
    assert res.returncode == 2 and "FAQ directory not found" in res.stderr and "Traceback" not in res.stderr


def test_new_creates_an_entry_that_lints_once_filled_in(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path)
    res = faqkb(project, "new", "my-q", "--section", "certificates", "--question", "How: do I?")
    assert res.returncode == 0, res.stderr
    assert faqkb(project, "lint").returncode == 2  # its placeholders are refused (tests/test_new.py)
    path = project / "docs" / "faq" / "my-q.yml"
    path.write_text(path.read_text().replace("Write the answer here", "The answer is here")
                    .replace("echo 'Replace this with", "echo 'This is"))
    assert faqkb(project, "lint").returncode == 0
    again = faqkb(project, "new", "my-q", "--section", "certificates", "--question", "x")
    assert again.returncode == 2 and "already exists" in again.stderr


def test_contributing_guide_names_every_fixture_scenario_and_placeholder() -> None:
    from faqkb.pki.fixtures import FIXTURES
    from faqkb.placeholders import NAMES
    from faqkb.tlsserver.scenarios import SCENARIOS

    guide = (REPO / "docs" / "contributing.md").read_text()
    missing = [f"fixture {n}" for n in FIXTURES if f"`{n}`" not in guide]
    missing += [f"scenario {n}" for n in SCENARIOS if f"`{n}`" not in guide]
    missing += [f"placeholder {n}" for n in NAMES if f"{{{{ {n} }}}}" not in guide]
    assert not missing, f"docs/contributing.md does not document: {missing}"
