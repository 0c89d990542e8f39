"""Ctrl-C during verification: nothing the run started survives, and `serve-tls` by hand."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from faqkb.httpd.process import httpd_available
from tests.kbutil import MINIMAL, faqkb_argv, https_vhost, make_project, processes_matching, tool_env

MARK = f"faqkb-int-{os.getpid()}"

BODY = https_vhost() + f"""\
commands:
  - scenario: httpd
    run: bash -c 'exec -a {MARK} sleep 300'
    timeout: 120
"""


#: Starts faqkb with SIGINT ignored, as a shell does for ``faqkb verify &`` in a script (or a CI
#: runner that starts the job in the background): exec keeps an ignored signal ignored.
SIGINT_IGNORED = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
                  "os.execv(sys.executable, [sys.executable, '-m', 'faqkb', *sys.argv[1:]])")


@pytest.mark.skipif(httpd_available() is not None, reason=str(httpd_available()))
@pytest.mark.parametrize(("sig", "ignored"), [(signal.SIGINT, False), (signal.SIGTERM, False),
                                              pytest.param(signal.SIGINT, True, id="sigint-ignored")])
def test_interrupt_leaves_no_httpd_and_no_command(tmp_path: Path, sig: signal.Signals, ignored: bool) -> None:
    # Its own sandbox name: tests run at once.
    eid = f"slow{sig.name[3:].lower()}{'-ign' if ignored else ''}-{os.getpid()}"
    project = make_project(tmp_path, {eid: MINIMAL.format(id=eid) + BODY})
    argv = [sys.executable, "-c", SIGINT_IGNORED, "verify"] if ignored else faqkb_argv("verify")
    proc = subprocess.Popen(argv, cwd=project, env=tool_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not processes_matching(MARK):
            assert time.monotonic() < deadline, "the command never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert processes_matching("apache2", f"faqkb-{eid}-")
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert f"faqkb: stopping 1 running entry ({eid})" in err and "faqkb: stopped everything" in err
    time.sleep(0.2)
    assert processes_matching(MARK) == [] and processes_matching(f"faqkb-{eid}-") == []


def test_serve_tls_prints_json_then_serves(tmp_path: Path, run_tool) -> None:
    proc = subprocess.Popen(faqkb_argv("serve-tls", "--scenario", "expired"), cwd=tmp_path, env=tool_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"host", "port", "cafile", "scenario"} and info["scenario"] == "expired"
        curl = run_tool(["curl", "-sS", "--cacert", info["cafile"], f"https://localhost:{info['port']}/"])
        assert curl.returncode == 60 and "certificate has expired" in curl.stderr
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        assert not Path(info["cafile"]).exists()  # its temporary PKI is gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_serve_tls_unknown_scenario(tmp_path: Path, faqkb) -> None:
    res = faqkb(tmp_path, "serve-tls", "--scenario", "nope", timeout=30)
    assert res.returncode == 2 and "unknown scenario 'nope'" in res.stderr


#: Runs a command as a child subreaper that never reaps anyone but that command, then prints
#: the processes left to it: orphans faqkb left for "init" to reap. A real init reaps them some
#: time later (or never, in a container whose pid 1 does not), and until then a sandbox's PID
#: namespace cannot end: faqkb waited for it, seconds per entry, before it exited.
SUBREAPER = """\
import ctypes, json, os, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=100)
me = os.getpid()
left = open(f"/proc/{me}/task/{me}/children").read().split()
states = [" ".join(open(f"/proc/{p}/stat").read().split(" ", 3)[1:3]) for p in left]
for p in left:
    os.kill(int(p), 9)
    os.waitpid(int(p), 0)
print(json.dumps({"rc": out.returncode, "stderr": out.stderr, "left": states}))
"""


@pytest.mark.skipif(httpd_available() is not None, reason=str(httpd_available()))
def test_faqkb_leaves_no_orphan_for_init_to_reap(tmp_path: Path) -> None:
    eid = f"orphans-{os.getpid()}"
    body = https_vhost() + ("commands:\n  - scenario: httpd\n    run: sleep 300 & sleep 300\n"
                            "    timeout: 2\n  - scenario: httpd\n    run: echo done\n")
    project = make_project(tmp_path, {eid: MINIMAL.format(id=eid) + body})
    res = subprocess.run([sys.executable, "-c", SUBREAPER, *faqkb_argv("verify", "--no-cache")],
                         cwd=project, env=tool_env(tmp_path), capture_output=True, text=True,
                         timeout=120, start_new_session=True)
    record = json.loads(res.stdout)
    assert record["rc"] == 1 and "timed out after 2 s" in record["stderr"], record["stderr"]
    # The timed-out command's shell and httpd were reaped by faqkb (by nsenter, their parent).
    # A bwrap may be left: it exits without reaping the namespace's init (which has exited).
    assert [p for p in record["left"] if p != "(bwrap) Z"] == [], record["left"]
