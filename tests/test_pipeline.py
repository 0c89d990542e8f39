"""The build pipeline's page memo: reused only while nothing changed, never after a failure."""

from __future__ import annotations

from pathlib import Path

from faqkb.pipeline.builder import build
from faqkb.project import Project
from tests.kbutil import MINIMAL, make_project

ENTRY = MINIMAL.format(id="alpha") + "commands:\n  - run: echo hello\n    expect: {stdout: [hello]}\n"


def test_unchanged_inputs_reuse_pages_and_a_change_rebuilds(tmp_path: Path) -> None:
    project = Project.discover(make_project(tmp_path, {"alpha": ENTRY}))
    said: list[str] = []
    first = build(project, progress=said.append)
    assert not any("pages reused" in m for m in said)
    said.clear()
    second = build(project, progress=said.append)
    assert any("pages reused" in m for m in said) and second.pages == first.pages
    (project.faq_dir / "alpha.yml").write_text(ENTRY.replace("echo hello", "echo hello again"))
    said.clear()
    third = build(project, progress=said.append)
    assert not any("pages reused" in m for m in said)
    assert "hello again" in third.pages["faq/alpha.md"]


def test_a_build_with_failures_is_not_memoized(tmp_path: Path) -> None:
    project = Project.discover(make_project(tmp_path, {"alpha": ENTRY.replace("[hello]", "[bye]")}))
    first = build(project)
    assert first.failures and "stdout does not match /bye/" in first.failures[0]
    again = build(project)
    assert again.failures == first.failures
