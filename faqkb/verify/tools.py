"""Versions of the tools that produced a result (for cache keys and the "verified with" mark)."""

from __future__ import annotations

import functools
import re
import subprocess
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def _first_line(argv: list[str]) -> str:
    from faqkb.proc import spawn

    try:
        out = spawn.run(argv, text=True, timeout=10, env=_ENV, start_new_session=True, cwd="/")
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return (out.stdout or out.stderr).strip().split("\n")[0]


def once(fn: Callable[[], T]) -> Callable[[], T]:
    """Cache a no-argument probe; concurrent first callers wait for one run, not start two."""
    lock = threading.Lock()
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper() -> T:
        with lock:
            return cached()

    return wrapper


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


def httpd_probe() -> str | None:
    """None if Apache httpd is usable here, else why not (see :mod:`faqkb.httpd`)."""
    from faqkb.httpd.process import httpd_available

    return httpd_available()
