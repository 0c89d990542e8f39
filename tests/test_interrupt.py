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
from tests.kbutil import MINIMAL, make_project

MARK = f"faqkb-int-{os.getpid()}"

ENTRY = MINIMAL.format(id="slow") + f"""\
httpd:
  fixtures: [server]
  config: |
    Listen 443
    <VirtualHost *:443>
        SSLEngine on
        SSLCertificateFile /etc/ssl/certs/fullchain.crt
        SSLCertificateKeyFile /etc/ssl/private/server.key
    </VirtualHost>
commands:
  - scenario: httpd
    run: bash -c 'exec -a {MARK} sleep 300'
    timeout: 120
"""


def _leftovers(sandbox_prefix: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=10, check=True)
    return [ln for ln in ps.stdout.splitlines() if MARK in ln or sandbox_prefix in ln]


@pytest.mark.skipif(httpd_available() is not None, reason=str(httpd_available()))
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_leaves_no_httpd_and_no_command(tmp_path: Path, sig: signal.Signals) -> None:
    project = make_project(tmp_path, {"slow": ENTRY})
    proc = subprocess.Popen([sys.executable, "-m", "faqkb", "verify"], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not any(MARK in ln for ln in _leftovers("\0")):
            assert time.monotonic() < deadline, "the command never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        assert any("apache2" in ln and "faqkb-slow-" in ln for ln in _leftovers("faqkb-slow-"))
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    time.sleep(0.2)
    assert _leftovers("faqkb-slow-") == []


def test_serve_tls_prints_json_then_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "faqkb", "serve-tls", "--scenario", "expired"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"host", "port", "cafile", "scenario"} and info["scenario"] == "expired"
        curl = subprocess.run(["curl", "-sS", "--cacert", info["cafile"], f"https://localhost:{info['port']}/"],
                              capture_output=True, text=True, timeout=20, check=False)
        assert curl.returncode == 60 and "certificate has expired" in curl.stderr
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)
        assert not Path(info["cafile"]).exists()  # its temporary PKI is gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_serve_tls_unknown_scenario() -> None:
    res = subprocess.run([sys.executable, "-m", "faqkb", "serve-tls", "--scenario", "nope"],
                         capture_output=True, text=True, timeout=30, check=False)
    assert res.returncode == 2 and "unknown scenario 'nope'" in res.stderr
