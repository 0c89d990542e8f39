"""`faqkb init`: a new knowledge base that passes lint, verify, a strict build and pytest as it
is written; refused (exit 2, nothing written) anywhere it could overwrite something."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from faqkb.errors import FaqkbError
from faqkb.pipeline.outputs import MARKER
from faqkb.starter import place
from faqkb.starter.kb import init_kb, scaffold_files
from tests.kbutil import run_python

EXPECTED = [".github/workflows/docs.yml", ".github/workflows/suggest.yml", ".gitignore", ".pre-commit-config.yaml", "docs/faq/_sections.yml",
            "docs/faq/_tags.yml", "docs/faq/check-a-download.yml", "docs/index.md", "mkdocs.yml"]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One `faqkb init team-faq`, shared by the tests that only read it."""
    from tests.kbutil import run_faqkb

    base = tmp_path_factory.mktemp("init")
    res = run_faqkb(base, "init", "team-faq", home=tmp_path_factory.mktemp("home"))
    return base / "team-faq", res


def test_init_writes_every_file_and_says_what_next(scaffold) -> None:
    kb, res = scaffold
    assert res.returncode == 0, res.stderr
    assert sorted(_tree(kb)) == EXPECTED
    for rel in EXPECTED:
        assert f"  {rel}\n" in res.stderr
    assert "next steps:" in res.stderr and "cd team-faq" in res.stderr and "faqkb build --strict" in res.stderr
    config = yaml.safe_load((kb / "mkdocs.yml").read_text())
    assert config["site_name"] == "Team faq"  # from the folder's name
    assert config["theme"]["name"] == "material"
    assert list(config["plugins"][0]) == ["search"]
    assert set(config["plugins"][1]["faqkb"]) == {"faq_dir", "snippets_dir", "cache_dir", "verify", "jobs",
                                                  "tools", "reader_dir", "reader_home"}
    text = (kb / "mkdocs.yml").read_text()
    for option in ("templates_dir", "legacy_page"):  # optional ones: written out, commented
        assert re.search(rf"^ +# {option}: ", text, re.MULTILINE), option
    assert (kb / ".gitignore").read_text().splitlines()[-2:] == ["site/", ".faqkb-cache/"]
    assert not re.search(r"@[a-z_]+@", "".join(scaffold_files("x").values()))  # every placeholder filled


def test_a_new_kb_passes_lint_verify_strict_build_and_pytest(tmp_path: Path, faqkb, scaffold) -> None:
    from tests.kbutil import copy_tree

    kb = copy_tree(scaffold[0], tmp_path / "team-faq")
    lint = faqkb(kb, "lint")
    assert lint.returncode == 0 and "1 entry, no problems" in lint.stderr, lint.stderr
    verify = faqkb(kb, "verify", "--strict")  # --strict: the commands ran in the sandbox
    assert verify.returncode == 0, verify.stderr
    assert "3 commands in 1 entry: 3 passed" in verify.stderr
    build = faqkb(kb, "build", "--strict", timeout=300)
    assert build.returncode == 0, build.stderr
    page = (kb / "site" / "faq" / "check-a-download" / "index.html").read_text()
    assert re.search(r'<h1[^>]* id="check-a-download"', page)
    home = (kb / "site" / "index.html").read_text()  # the landing block at the starter's marker
    assert "faqkb:landing" not in home and 'href="faq/check-a-download/"' in home and 'name="q"' in home
    assert "release.txt: OK" in page and "release.txt: FAILED" in page  # the real output
    assert page.count('class="faqkb-mark faqkb-mark-passed"') == 2
    # the tampered download fails on purpose: it reproduces the error, with its exit status
    assert len(re.findall(r'class="faqkb-mark faqkb-mark-reproduced" title="[^"]*">Reproduces the error: exit 1\b',
                          page)) == 1
    assert 'href="../../assets/faqkb.css"' in page and (kb / "site" / "assets" / "faqkb.css").is_file()
    assert (kb / "site" / "index.html").is_file() and (kb / "site" / "faq" / "tags" / "index.html").is_file()
    tests = run_python(kb, "-m", "pytest", "--faqkb", "-q", "-p", "no:cacheprovider", home=tmp_path)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout


def test_the_workflows_install_what_the_steps_need(scaffold) -> None:
    # Every faqkb command in them runs in tests/test_ci.py; here: what comes before them.
    workflow = yaml.safe_load((scaffold[0] / ".github" / "workflows" / "docs.yml").read_text())
    for name in ("lint", "verify", "build"):
        steps = workflow["jobs"][name]["steps"]
        uses = [s.get("uses", "").split("@")[0] for s in steps]
        assert uses[:2] == ["actions/checkout", "actions/setup-python"]
        runs = [line.strip() for s in steps for line in s.get("run", "").splitlines()]
        assert 'pip install "$FAQKB_SOURCE"' in runs and "FAQKB_SOURCE" in workflow["env"]  # a team points it
        if name != "lint":
            assert "sudo apt-get install -y bubblewrap" in runs
    assert "faqkb" in workflow["env"]["FAQKB_SOURCE"]  # at its own source; faqkb by default


def test_the_pre_commit_hook_lints_the_changed_faq_files(scaffold) -> None:
    config = yaml.safe_load((scaffold[0] / ".pre-commit-config.yaml").read_text())
    [repo] = config["repos"]
    [hook] = repo["hooks"]
    assert repo["repo"] == "local" and hook["language"] == "system"
    assert hook["entry"] == "faqkb lint" and hook["pass_filenames"] is True  # `faqkb lint FILE...`
    files = re.compile(hook["files"])  # pre-commit matches it with re.search on the repo path
    for path in ("docs/faq/check-a-download.yml", "docs/faq/_sections.yml", "docs/faq/x.yaml"):
        assert files.search(path), path
    for path in ("docs/index.md", "mkdocs.yml", "docs/faq/sub/x.yml", "other/docs/faq/x.yml"):
        assert not files.search(path), path


def test_init_here_with_a_name_and_a_git_folder(tmp_path: Path, faqkb) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    name = 'Ops: "how we run things" #1'
    res = faqkb(tmp_path, "init", "--name", name)
    assert res.returncode == 0, res.stderr
    assert "cd " not in res.stderr  # already there
    assert yaml.safe_load((tmp_path / "mkdocs.yml").read_text())["site_name"] == name
    assert (tmp_path / "docs" / "index.md").read_text().startswith("# Ops: \"how we run things\" \\#1\n")
    assert (tmp_path / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert faqkb(tmp_path, "lint").returncode == 0


@pytest.mark.parametrize("case", ["notes", "hidden", "afile", "emptyname"])
def test_init_refuses_and_writes_nothing(tmp_path: Path, faqkb, case: str) -> None:
    target = tmp_path / "kb"
    target.mkdir()
    if case == "notes":
        (target / "notes.txt").write_text("mine\n")
    elif case == "hidden":
        (target / ".github").mkdir()
        (target / ".github" / "CODEOWNERS").write_text("* @me\n")
    elif case == "afile":
        target.rmdir()
        target.write_text("a file\n")
    before = _tree(tmp_path)
    args = ["init", "kb"] + (["--name", " "] if case == "emptyname" else [])
    res = faqkb(tmp_path, *args)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    expected = {"notes": "is not empty (it has notes.txt)", "hidden": "is not empty (it has .github)",
                "afile": "is a file", "emptyname": "--name must not be empty"}[case]
    assert expected in res.stderr
    assert _tree(tmp_path) == before and sorted(p.name for p in tmp_path.iterdir()) == ["kb"]


def test_an_existing_file_refuses_the_whole_lot(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# mine\n")
    with pytest.raises(FaqkbError, match=r"already has docs/index.md; nothing was written"):
        place.place_files(tmp_path, scaffold_files("x"))
    assert _tree(tmp_path) == {"docs/index.md": b"# mine\n"}
    (tmp_path / "mkdocs.yml").mkdir()  # a folder where a file must go
    (tmp_path / "other").write_text("x")  # a file where a folder must go
    assert place.clashes(tmp_path, {"mkdocs.yml": "", "other/a/b": "", "new/c": ""}) == ["mkdocs.yml", "other"]


def test_an_interrupted_init_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "kb"
    (target / ".git").mkdir(parents=True)
    real_link, calls = os.link, []

    def link_then_interrupt(src: str, dst: str) -> None:
        calls.append(dst)
        if len(calls) == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of moving the files in
        real_link(src, dst)

    monkeypatch.setattr(place.os, "link", link_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        init_kb(target)
    assert len(calls) == 3
    assert sorted(p.name for p in target.iterdir()) == [".git"]  # what was moved in is taken back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]  # and no staging folder is left
    monkeypatch.undo()
    assert sorted(p.relative_to(target).as_posix() for p in init_kb(target)) == EXPECTED


def test_a_killed_inits_staging_folder_is_swept_by_the_next(tmp_path: Path, faqkb) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, timeout=30, check=True, start_new_session=True, env={}, cwd=tmp_path)
    leftover = tmp_path / ".kb.abc123"
    (leftover / "docs").mkdir(parents=True)
    (leftover / MARKER).write_text(dead.stdout)
    res = faqkb(tmp_path, "init", "kb")
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kb"]


def test_a_parent_folder_it_may_not_write_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def refuse(*args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied")  # as a normal user's /srv would; root ignores modes

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with pytest.raises(FaqkbError, match=rf"cannot write in {re.escape(str(tmp_path))}: faqkb writes the files "
                                         r"beside kb first"):
        init_kb(tmp_path / "kb")
    assert list(tmp_path.iterdir()) == []
