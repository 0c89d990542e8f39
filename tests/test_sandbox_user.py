"""The sandbox confines a normal (non-root) user just as it confines root.

CI runs as root, so the test drops to ``nobody`` in a forked child: the interpreter is already
in memory there (it may live where ``nobody`` cannot read), and only system programs (bwrap,
nsenter, prlimit) are started afresh. Run as a normal user, it runs as that user directly.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from faqkb.proc import sandbox, spawn
from faqkb.proc.pidlimit import PIDS_LIMIT

NOBODY = 65534
PROBE = r"""
echo "uid=$(id -u)"
echo "ppid=$PPID"
cat /proc/$PPID/environ >/dev/null 2>&1 && echo "environ=read" || echo "environ=refused"
touch "$OUTSIDE/escaped" 2>/dev/null && echo "outside=written" || echo "outside=refused"
mount -o remount,rw / 2>/dev/null && echo "remount=done" || echo "remount=refused"
setsid -f sleep 300 >/dev/null 2>&1
echo inside >"$PWD/inside" && echo "box=written"
ulimit -v
awk '/^Max processes/ {print "nproc=" $3}' /proc/self/limits
"""


def _child(box: Path, outside: Path, write_fd: int) -> None:
    """In the forked child: become ``nobody`` if root, run the probe sandboxed, report JSON."""
    report: dict[str, Any] = {}
    try:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        # The parent's cached answer was made as root: ask again as this user.
        problem = sandbox.sandbox_problem.__wrapped__()  # type: ignore[attr-defined]
        report["problem"] = problem
        with sandbox.Sandbox(box, probe=True) as box_ns:
            out = spawn.run(box_ns.wrap(["/bin/sh", "-c", PROBE]), timeout=20, cwd=str(box),
                            env={"PATH": "/usr/bin:/bin", "OUTSIDE": str(outside), "SECRET": "x"},
                            start_new_session=True)
            report["confined"] = box_ns.confined
            report["stdout"] = out.stdout.decode(errors="replace")
            report["stderr"] = out.stderr.decode(errors="replace")
            report["rc"] = out.returncode
        report["left"] = [line for line in os.popen("pgrep -u $(id -u) -f '^sleep 300'")]
    except BaseException as exc:  # reported to the parent, which fails with it
        report["error"] = repr(exc)
    finally:
        os.write(write_fd, json.dumps(report).encode())
        os._exit(0)


def _shared_dir(prefix: str, where: str | None = None) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)
    return path


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_a_normal_user_is_sandboxed_like_root() -> None:
    # Outside the sandbox and outside /tmp (a tmpfs inside), where nobody may write: the
    # sticky, world-writable lock dir Debian has on every machine.
    lock = "/run/lock" if os.access("/run/lock", os.W_OK) else None
    box, outside = _shared_dir("faqkb-userbox-"), _shared_dir("faqkb-outside-", lock)
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            os.close(read_fd)
            _child(box, outside, write_fd)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            report = json.loads(pipe.read() or b"{}")
        os.waitpid(pid, 0)
    finally:
        shutil.rmtree(box, ignore_errors=True)
        shutil.rmtree(outside, ignore_errors=True)
    assert "error" not in report, report
    assert report["problem"] is None, report
    assert report["confined"] is True
    lines = report["stdout"].splitlines()
    expected_uid = NOBODY if os.geteuid() == 0 else os.geteuid()
    assert f"uid={expected_uid}" in lines, report  # not root of a user namespace
    assert "ppid=0" in lines  # faqkb is outside the PID namespace
    assert "environ=refused" in lines
    assert "outside=refused" in lines
    assert not (outside / "escaped").exists()
    assert "remount=refused" in lines  # no capability survives into the command
    assert "box=written" in lines
    assert str(sandbox.MEMORY_LIMIT // 1024) in lines  # prlimit applied
    assert f"nproc={PIDS_LIMIT}" in lines, report  # no pids cgroup for this user: RLIMIT_NPROC
    assert report["left"] == [], "the setsid child outlived the sandbox"


def _verify_as_nobody(project: Path, write_fd: int) -> None:
    """In the forked child: verify ``project`` as ``nobody``; report each command's status.

    The KB is loaded before the fork (the interpreter's own modules may be unreadable for
    ``nobody``); only the run happens as ``nobody``.
    """
    from faqkb.load.loader import load_project
    from faqkb.project import Project
    from faqkb.verify.verifier import verify_kb

    proj = Project.discover(project)
    kb = load_project(proj)
    pid = os.fork()
    if pid:
        return
    report: dict[str, Any] = {}  # pragma: no cover - the child reports through the pipe
    try:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        result = verify_kb(kb, proj, use_cache=False, jobs=1)
        report["commands"] = [(c.status, c.reason) for c in result.results["rootonly"].commands]
    except BaseException as exc:  # reported to the parent, which fails with it
        report["error"] = repr(exc)
    finally:
        os.write(write_fd, json.dumps(report).encode())
        os._exit(0)


def test_a_command_that_requires_root_is_not_run_by_a_normal_user() -> None:
    from tests.kbutil import MINIMAL, make_project

    project = _shared_dir("faqkb-userkb-")
    make_project(project, {"rootonly": MINIMAL.format(id="rootonly") + (
        "commands:\n  - run: id -u\n    requires_root: true\n    expect: {stdout: ['^0$']}\n"
        "  - run: id -u\n")})
    for path in project.rglob("*"):
        os.chown(path, NOBODY, NOBODY) if os.geteuid() == 0 else None
    read_fd, write_fd = os.pipe()
    try:
        _verify_as_nobody(project, write_fd)
        os.close(write_fd)
        with os.fdopen(read_fd, "rb") as pipe:
            report = json.loads(pipe.read() or b"{}")
        os.wait()
    finally:
        shutil.rmtree(project, ignore_errors=True)
    assert "error" not in report, report
    uid = NOBODY if os.geteuid() == 0 else os.geteuid()
    assert report["commands"] == [["unverified", f"requires root; faqkb runs as uid {uid} here"],
                                  ["passed", ""]], report
