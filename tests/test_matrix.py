"""make matrix: FAQKB_TOOLS_PATH puts another build of a tool first on the commands' PATH, and
the marks name every version of a tool a command passed with (its runs are kept in the cache's
pass log while the entry is unchanged)."""

from __future__ import annotations

from pathlib import Path

from tests.kbutil import MINIMAL, make_project, set_plugin_options
from tests.test_tools import entry_line, marks


def fake_tool(directory: Path, version: str) -> Path:
    directory.mkdir(parents=True)
    script = directory / "fake"
    script.write_text(f"#!/bin/sh\necho 'fake {version}'\n")
    script.chmod(0o755)
    return directory


def project_with_fake(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + """\
commands:
  - run: fake
    expect: {stdout: ['^fake [12]\\.0$']}
  - run: echo no tool
    expect: {stdout: ['^no tool$']}
"""})
    set_plugin_options(project, tools={"fake": "fake --version"})
    return project


def test_the_mark_names_each_version_a_command_passed_with(tmp_path: Path, faqkb) -> None:
    project = project_with_fake(tmp_path)
    old, new = fake_tool(tmp_path / "v1", "1.0"), fake_tool(tmp_path / "v2", "2.0")
    # The sandbox hides /tmp, where these tools live: this test is about PATH and the marks.
    env = {"FAQKB_SANDBOX": "off"}
    res = faqkb(project, "verify", env={**env, "FAQKB_TOOLS_PATH": str(old)})
    assert res.returncode == 0, res.stdout + res.stderr
    page = render_with(faqkb, project, {**env, "FAQKB_TOOLS_PATH": str(new)})
    got = marks(page)
    assert got[0].startswith("with fake 2.0 and 1.0, on "), got
    assert got[0].endswith("Verified: exit 0 · 1 pattern · passed with fake 2.0 and 1.0"), got
    assert "passed with" not in got[1], got  # it ran no tool
    assert entry_line(page).startswith("2 commands checked with fake 2.0 and 1.0 on "), entry_line(page)


def test_a_changed_entry_forgets_the_other_versions(tmp_path: Path, faqkb) -> None:
    project = project_with_fake(tmp_path)
    old, new = fake_tool(tmp_path / "v1", "1.0"), fake_tool(tmp_path / "v2", "2.0")
    env = {"FAQKB_SANDBOX": "off"}
    assert faqkb(project, "verify", env={**env, "FAQKB_TOOLS_PATH": str(old)}).returncode == 0
    path = project / "docs" / "faq" / "alpha.yml"
    path.write_text(path.read_text().replace("  - run: fake\n", "  - run: fake; true\n"))
    got = marks(render_with(faqkb, project, {**env, "FAQKB_TOOLS_PATH": str(new)}))
    assert got[0].startswith("with fake 2.0, on ") and "passed with" not in got[0], got


def test_without_the_variable_the_tool_is_not_found(tmp_path: Path, faqkb) -> None:
    project = project_with_fake(tmp_path)
    res = faqkb(project, "verify", env={"FAQKB_SANDBOX": "off"})
    assert res.returncode == 1 and "fake: command not found" in res.stdout + res.stderr, res.stdout


def render_with(faqkb, project: Path, env: dict[str, str]) -> str:
    res = faqkb(project, "render", "--out", str(project.parent / "out"), env=env)
    assert res.returncode == 0, res.stdout + res.stderr
    return (project.parent / "out" / "faq" / "alpha.md").read_text()  # the question's own page



# ------------------------------------------------------------------ expect.when: version-specific cases
WHEN_ENTRY = MINIMAL.format(id="alpha") + """\
commands:
  - run: fake
    expect:
      stdout: ['^fake 1\\.0$']
      when:
        - versions: {fake: ">=2"}
          says: Version 2 prints `2.0`.
          stdout: ['^fake 2\\.0$']
"""


def test_a_when_case_chooses_the_expectations_by_the_tool_version(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": WHEN_ENTRY})
    set_plugin_options(project, tools={"fake": "fake --version"})
    env = {"FAQKB_SANDBOX": "off"}
    v1, v2, v3 = (fake_tool(tmp_path / f"v{n}", f"{n}.0") for n in (1, 2, 3))
    old = faqkb(project, "verify", "--no-cache", env={**env, "FAQKB_TOOLS_PATH": str(v1)})
    assert old.returncode == 0, old.stdout + old.stderr  # the command's own pattern
    page = render_with(faqkb, project, {**env, "FAQKB_TOOLS_PATH": str(v2)})  # the case's
    got = marks(page)
    assert got[0].endswith("Verified: exit 0 · 1 pattern · the case for fake 2 and later"
                           " · passed with fake 2.0 and 1.0"), got
    assert ('<div class="faqkb-differs faqkb-differs-applied" markdown>\n'
            "**With fake 2 and later:** Version 2 prints `2.0`. (verified with fake 2.0)\n</div>"
            ) in page, page
    # With 3.0 the case holds too, and its pattern (2.0) is what fails: the case replaced stdout.
    bad = faqkb(project, "verify", env={**env, "FAQKB_TOOLS_PATH": str(v3)})
    assert bad.returncode == 1 and "stdout does not match /^fake 2\\.0$/" in bad.stderr, bad.stderr


def test_the_page_shows_a_case_that_did_not_apply(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": WHEN_ENTRY})
    set_plugin_options(project, tools={"fake": "fake --version"})
    env = {"FAQKB_SANDBOX": "off"}
    v1, v2 = fake_tool(tmp_path / "v1", "1.0"), fake_tool(tmp_path / "v2", "2.0")
    page = render_with(faqkb, project, {**env, "FAQKB_TOOLS_PATH": str(v1)})
    assert ('<div class="faqkb-differs" markdown>\n**With fake 2 and later:** Version 2 prints '
            "`2.0`.\n</div>") in page, page  # shown, though no run proved it yet
    assert "the case for" not in marks(page)[0], marks(page)
    # make matrix: once the case passed with 2.0, the page built with 1.0 says so.
    assert faqkb(project, "verify", env={**env, "FAQKB_TOOLS_PATH": str(v2)}).returncode == 0
    page = render_with(faqkb, project, {**env, "FAQKB_TOOLS_PATH": str(v1)})
    assert ('<div class="faqkb-differs" markdown>\n**With fake 2 and later:** Version 2 prints '
            "`2.0`. (verified with fake 2.0)\n</div>") in page, page
    assert marks(page)[0].endswith("Verified: exit 0 · 1 pattern · passed with fake 1.0 and 2.0"), marks(page)


def test_lint_reports_a_bad_when_case_where_it_is(tmp_path: Path, faqkb) -> None:
    bad = MINIMAL.format(id="alpha") + """\
commands:
  - run: fake
    expect:
      when:
        - {versions: {fake: '<2'}, says: nothing changes}
        - versions: {fakee: "2.x"}
          says: typos
          stdout: ['^fake 2\\.0$']
"""
    project = make_project(tmp_path / "kb", {"alpha": bad})
    set_plugin_options(project, tools={"fake": "fake --version"})
    res = faqkb(project, "build")
    path = project / "docs" / "faq" / "alpha.yml"
    assert res.returncode == 2, res.stdout + res.stderr
    assert f"{path}:12:11: this when case changes no expectation" in res.stderr, res.stderr
    assert f"{path}:13:22: unknown tool 'fakee'; did you mean 'fake'?" in res.stderr, res.stderr
    assert (f"{path}:13:29: version condition '2.x' for fakee is not one faqkb reads; write clauses"
            " like >=3.5") in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
