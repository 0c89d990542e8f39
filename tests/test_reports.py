"""Every report names a command by its title (else its first line, whole), says where it is
relative to the project, and words timeouts and counts properly."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

COMMANDS = """\
commands:
  - title: Make the demo folder
    run: |
      mkdir demo
      echo made > demo/x
    expect: {stdout: ['^never$']}
  - run: |
      cd demo
      cat x
    expect: {stdout: ['^never$']}
  - run: sleep 30
    timeout: 1
"""


def project_with(tmp_path: Path) -> Path:
    return make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + COMMANDS})


def test_verify_names_commands_by_title_else_first_line(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path)
    res = faqkb(project, "verify")
    assert res.returncode == 1
    path = project / "docs" / "faq" / "alpha.yml"
    assert f"{path}:10: entry 'alpha', command 1 FAILED: Make the demo folder\n" in res.stderr
    assert f"{path}:14: entry 'alpha', command 2 FAILED: cd demo ...\n" in res.stderr
    assert f"{path}:18: entry 'alpha', command 3 FAILED: sleep 30\n" \
           "    timed out after 1 s (the whole process group was killed)" in res.stderr
    assert "3 commands in 1 entry: 0 passed" in res.stderr and "in 1 entries" not in res.stderr
    assert "faqkb: [1/1] alpha: 3 commands, 3 of 3 FAILED or unverified" in res.stderr


def test_json_records_say_where_and_what(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path)
    records = json.loads(faqkb(project, "verify", "--json").stdout)["commands"]
    assert [(r["file"], r["line"], r["title"], r["command"]) for r in records] == [
        ("docs/faq/alpha.yml", 10, "Make the demo folder", "mkdir demo\necho made > demo/x"),
        ("docs/faq/alpha.yml", 14, None, "cd demo\ncat x"),
        ("docs/faq/alpha.yml", 18, None, "sleep 30"),
    ]
    assert records[2]["failures"][0] == "timed out after 1 s (the whole process group was killed)"


def test_junit_names_and_relative_paths(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path)
    faqkb(project, "verify", "--junit", "report.xml")
    root = ET.parse(project / "report.xml").getroot()
    suite = root.find("testsuite")
    assert suite is not None and suite.get("file") == "docs/faq/alpha.yml"
    cases = list(root.iter("testcase"))
    assert [c.get("name") for c in cases] == [
        "command 1: Make the demo folder", "command 2: cd demo\ncat x", "command 3: sleep 30"]
    assert {c.get("file") for c in cases} == {"docs/faq/alpha.yml"}
    assert str(tmp_path) not in (project / "report.xml").read_text()


def test_every_report_points_at_the_same_run_line(tmp_path: Path, faqkb) -> None:
    """JUnit, --json, GitHub annotations and the text report name each command by the line
    of its ``run:`` key (not the ``- title:`` line above it)."""
    project = project_with(tmp_path)
    lines = (project / "docs" / "faq" / "alpha.yml").read_text().splitlines()
    runs = [n for n, text in enumerate(lines, 1) if text.lstrip(" -").startswith("run:")]
    assert runs == [10, 14, 18]
    res = faqkb(project, "verify", "--json", "--junit", "report.xml")
    assert [r["line"] for r in json.loads(res.stdout)["commands"]] == runs
    root = ET.parse(project / "report.xml").getroot()
    assert [int(c.get("line", 0)) for c in root.iter("testcase")] == runs
    gh = faqkb(project, "verify", "--format", "github").stdout
    assert [int(ln.split("line=")[1].split(",")[0]) for ln in gh.splitlines()
            if ln.startswith("::error")] == runs


def test_try_shows_titles_timeouts_and_every_prompt(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path)
    res = faqkb(project, "try", "alpha")
    assert res.returncode == 1
    assert "command 1: Make the demo folder\n$ mkdir demo\n$ echo made > demo/x\n" in res.stdout
    assert "[FAILED, timed out after 1 s, " in res.stdout
    assert "exit None" not in res.stdout + res.stderr


def test_the_cache_line_counts_properly(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha") + "commands:\n  - run: 'true'\n"})
    assert faqkb(project, "verify").returncode == 0
    again = faqkb(project, "verify")
    assert "faqkb: 1 entry unchanged, results reused from the cache" in again.stderr
    assert "1 command in 1 entry: 0 passed, 1 cached" in again.stderr


def test_show_prompts_every_command_line(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path)
    res = faqkb(project, "show", "alpha")
    assert res.returncode == 0, res.stderr
    assert "  $ mkdir demo\n  $ echo made > demo/x\n" in res.stdout
