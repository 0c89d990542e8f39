"""Ctrl-C during verification: nothing the run started survives, and `serve-tls` by hand."""

from __future__ import annotations

import json
import os
import signal
import subprocess
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


@pytest.mark.skipif(httpd_available() is not None, reason=str(httpd_available()))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_httpd_and_no_command(tmp_path: Path, sig: signal.Signals) -> None:
    eid = f"slow{sig.name[3:].lower()}-{os.getpid()}"  # its own sandbox name: tests run at once
    project = make_project(tmp_path, {eid: MINIMAL.format(id=eid) + BODY})
    proc = subprocess.Popen(faqkb_argv("verify"), cwd=project, env=tool_env(tmp_path),
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
