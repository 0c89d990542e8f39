"""Check what a command did against what its entry says it must do."""

from __future__ import annotations

import re
from pathlib import Path

from faqkb.model import Expect
from faqkb.run.shell import ProcessResult


def _search(pattern: str, text: str) -> bool:
    return re.search(pattern, text, re.MULTILINE) is not None


def check(expect: Expect, res: ProcessResult, sandbox: Path, server_log: str | None, *,
          timeout: float | None = None) -> list[str]:
    """Every expectation that failed, each as one readable sentence (empty when all hold);
    ``timeout`` is the command's, for the words of a timeout."""
    failures: list[str] = []
    if res.timed_out:
        after = f" after {timeout:g} s" if timeout is not None else ""
        failures.append(f"timed out{after} (the whole process group was killed)")
    elif expect.exit == "nonzero":
        if res.exit_code == 0:
            failures.append("exit status 0, expected a failure (nonzero)")
    elif res.exit_code != expect.exit:
        failures.append(f"exit status {res.exit_code}, expected {expect.exit}")
    streams = {"stdout": res.stdout, "stderr": res.stderr, "output": res.combined}
    for name, text in streams.items():
        for pattern in getattr(expect, name):
            if not _search(pattern, text):
                failures.append(f"{name} does not match /{pattern}/")
        for pattern in getattr(expect, f"{name}_not"):
            if _search(pattern, text):
                failures.append(f"{name} matches /{pattern}/, which it must not")
    for f in expect.files:
        if not (sandbox / f).exists():
            failures.append(f"file {f} was not created")
    if expect.server_log or expect.server_log_not:
        log = server_log or ""
        for pattern in expect.server_log:
            if not _search(pattern, log):
                failures.append(f"server log does not match /{pattern}/")
        for pattern in expect.server_log_not:
            if _search(pattern, log):
                failures.append(f"server log matches /{pattern}/, which it must not")
    return failures


def server_log_ready(expect: Expect, log: str) -> bool:
    """True once every server_log pattern matches (servers log a moment after clients exit)."""
    return all(_search(p, log) for p in expect.server_log)
