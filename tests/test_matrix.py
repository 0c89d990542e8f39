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
    return (project.parent / "out" / "faq" / "certificates.md").read_text()

