"""An interrupted `faqkb build` (SIGINT, SIGTERM, SIGKILL) keeps the previous site, and leaves
no process, no sandbox or test PKI, and (after the next build) no temporary folder behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.kbutil import MINIMAL, faqkb_argv, make_project, processes_matching, tool_env


def _slow_project(tmp_path: Path, mark: str) -> Path:
    quick = MINIMAL.format(id="quick") + "commands:\n  - run: echo hi\n"
    slow = MINIMAL.format(id="slow") + (
        f"commands:\n  - fixtures: [server]\n    run: bash -c 'exec -a {mark} sleep 300'\n    timeout: 120\n")
    return make_project(tmp_path / "kb", {"quick": quick, "slow": slow})


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_interrupted_build_keeps_the_site_and_leaves_nothing(tmp_path: Path, faqkb, sig: signal.Signals) -> None:
    mark = f"faqkb-build-{sig.name.lower()}-{os.getpid()}"
    project = _slow_project(tmp_path, mark)
    assert faqkb(project, "build", "--no-verify").returncode == 0
    before = (project / "site" / "index.html").read_text()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir(mode=0o755)
    env = tool_env(tmp_path / "home", {"TMPDIR": str(tmpdir)})
    (tmp_path / "home").mkdir()
    proc = subprocess.Popen(faqkb_argv("build"), cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not processes_matching(mark):
            assert time.monotonic() < deadline and proc.poll() is None, "the slow command never started"
            time.sleep(0.05)
        assert any(p.name.startswith("faqkb-slow-") for p in tmpdir.iterdir())  # its sandbox
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if sig != signal.SIGKILL:
        assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    deadline = time.monotonic() + 30  # after a SIGKILL the MkDocs child stops on its own
    while (processes_matching(mark) or processes_matching("mkdocs build", str(project))
           or any(tmpdir.iterdir())) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_matching(mark) == [] and processes_matching("mkdocs build", str(project)) == []
    assert sorted(p.name for p in tmpdir.iterdir()) == []  # no sandbox (with its keys), no PKI
    assert (project / "site" / "index.html").read_text() == before
    again = faqkb(project, "build", "--no-verify")
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".site")) == []
