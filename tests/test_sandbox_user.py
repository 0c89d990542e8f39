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
    assert report["left"] == [], "the setsid child outlived the sandbox"
