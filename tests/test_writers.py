"""Nothing is deleted that faqkb did not write: output folders are refused when they hold or
lie inside the sources, or are non-empty without faqkb's marker (exit 2, nothing touched)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faqkb.pipeline.outputs import MARKER
from tests.kbutil import MINIMAL, make_project


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("where", [".", "PROJECT", "docs", "docs/faq", "docs/out", "withgit", "notempty",
                                   "HOME", "afile"])
def test_render_refuses_a_target_it_did_not_write(tmp_path: Path, faqkb, where: str) -> None:
    project = make_project(tmp_path / "kb", {"a": MINIMAL.format(id="a")})
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (tmp_path / "withgit" / ".git").mkdir(parents=True)
    (tmp_path / "notempty").mkdir()
    (tmp_path / "notempty" / "notes.txt").write_text("mine\n")
    (tmp_path / "afile").write_text("a file\n")
    home = tmp_path / "home"
    home.mkdir()
    (home / "keep.txt").write_text("mine\n")
    target = {"PROJECT": str(project), "HOME": str(home), "withgit": str(tmp_path / "withgit"),
              "notempty": str(tmp_path / "notempty"), "afile": str(tmp_path / "afile")}.get(where, where)
    before = _tree(tmp_path)
    res = faqkb(project, "render", "--no-verify", "--out", target, env={"HOME": str(home)})
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr and ("not empty" in res.stderr or "would replace" in res.stderr
                                              or "inside the docs folder" in res.stderr
                                              or "is a file" in res.stderr), res.stderr
    assert _tree(tmp_path) == before


def test_render_and_build_replace_only_their_own_output(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": MINIMAL.format(id="a")})
    for _ in range(2):  # the second run replaces what the first wrote
        res = faqkb(project, "render", "--no-verify", "--out", "rendered")
        assert res.returncode == 0, res.stderr
        assert (project / "rendered" / MARKER).is_file() and (project / "rendered" / "faq" / "index.md").is_file()
        built = faqkb(project, "build", "--no-verify")
        assert built.returncode == 0, built.stderr
        assert (project / "site" / MARKER).is_file() and (project / "site" / "index.html").is_file()
    (project / "site.old").mkdir()  # a user's folder with a name faqkb once used: untouched
    (project / "site.old" / "x").write_text("mine\n")
    assert faqkb(project, "build", "--no-verify").returncode == 0
    assert (project / "site.old" / "x").read_text() == "mine\n"
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site")) == []


def test_a_killed_builds_temp_folder_is_swept_but_a_foreign_one_is_not(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": MINIMAL.format(id="a")})
    dead = project / ".site.killed1"
    dead.mkdir()
    (dead / MARKER).write_text("999999999\n")  # no such pid
    foreign = project / ".site.someone-elses"
    foreign.mkdir()
    (foreign / "x").write_text("mine\n")
    res = faqkb(project, "build", "--no-verify")
    assert res.returncode == 0, res.stderr
    assert not dead.exists() and (foreign / "x").read_text() == "mine\n"
    assert os.path.isdir(project / "site")
