"""Results made by older code are never reused: the cache key holds faqkb's own run code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from faqkb.verify.cache import RESULT_CODE, code_digest
from tests.kbutil import MINIMAL, REPO, make_project

ENTRY = MINIMAL.format(id="alpha") + """\
commands:
  - run: echo hello
    expect: {stdout: [hello]}
"""


def _copy_package(dest: Path) -> Path:
    shutil.copytree(REPO / "faqkb", dest / "faqkb", ignore=shutil.ignore_patterns("__pycache__"))
    return dest / "faqkb"


def test_code_digest_covers_the_run_code_only(tmp_path: Path) -> None:
    pkg = _copy_package(tmp_path)
    before = code_digest(pkg)
    (pkg / "render" / "pages.py").write_text((pkg / "render" / "pages.py").read_text() + "\n# x\n")
    assert code_digest(pkg) == before  # the page memo, not the result cache, covers rendering
    for part in ("run/runner.py", "tlsserver/server.py", "httpd/process.py", "pki/fixtures.py",
                 "pki/authority.py"):
        path = pkg / part
        assert part.split("/")[0] in RESULT_CODE
        text = path.read_text()
        path.write_text(text + "\n# an edit\n")
        assert code_digest(pkg) != before, f"editing {part} must change the key"
        path.write_text(text)
    assert code_digest(pkg) == before


def test_editing_the_runner_re_verifies_instead_of_reusing(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": ENTRY})
    pkg = _copy_package(tmp_path / "code")
    env = {"PYTHONPATH": str(pkg.parent)}  # this copy of faqkb, not the installed one

    def statuses() -> list[str]:
        res = faqkb(project, "verify", "--json", env=env)
        assert res.returncode == 0, res.stderr
        return [c["status"] for c in json.loads(res.stdout)["commands"]]

    assert statuses() == ["passed"]
    assert statuses() == ["cached"]
    runner = pkg / "run" / "runner.py"
    runner.write_text(runner.read_text() + "\n# a change to how commands are run\n")
    assert statuses() == ["passed"]  # re-run by the new code, not reported as cached
