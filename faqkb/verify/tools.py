"""Versions of the tools that produced a result (for cache keys and the "verified with" mark)."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Callable

from faqkb._util import SYSTEM_PATH, once
from faqkb.proc import spawn

# The same PATH the commands get, so the version probed is the one that ran them.
_ENV = {"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}


def _first_line(argv: list[str]) -> str:
    try:
        out = spawn.run(argv, text=True, timeout=10, env=_ENV, start_new_session=True, cwd="/")
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return str(out.stdout or out.stderr).strip().split("\n")[0]


def prefetch(*probes: Callable[[], object]) -> None:
    """Start slow probes (each a subprocess) in the background, so they overlap other work."""
    for probe in probes:
        threading.Thread(target=probe, daemon=True, name=f"faqkb-probe-{probe.__name__}").start()


@once
def openssl_version() -> str:
    """``3.0.19`` for ``OpenSSL 3.0.19 27 Jan 2026 (Library: ...)``; empty if openssl is missing."""
    m = re.search(r"OpenSSL (\S+)", _first_line(["openssl", "version"]))
    return m.group(1) if m else ""


@once
def curl_version() -> str:
    """``7.88.1`` for ``curl 7.88.1 (x86_64-pc-linux-gnu) ...``; empty if curl is missing."""
    m = re.search(r"curl (\S+)", _first_line(["curl", "--version"]))
    return m.group(1) if m else ""


def tool_versions(need_httpd: bool) -> dict[str, str]:
    """Versions that go into cache keys and the "verified with" mark."""
    tools = {"openssl": openssl_version(), "curl": curl_version()}
    if need_httpd:
        from faqkb.httpd.process import httpd_version  # deferred: only when an entry uses httpd

        tools["httpd"] = httpd_version()
    return tools
