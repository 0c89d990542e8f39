"""Shared pytest fixtures (keep small: only what several test modules need)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory):
    """One test PKI per test session (per xdist worker): keys are made once and reused."""
    from faqkb.pki.authority import Pki

    return Pki(tmp_path_factory.mktemp("pki"))


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_tool(tmp_path: Path) -> Run:
    """Run a real tool: timeout, explicit environment, own process group, sandbox cwd.

    ``run_tool(argv, cwd=None, input=None, timeout=20)`` returns the CompletedProcess (text),
    with stderr kept separate.
    """

    def _run(argv: Sequence[str], cwd: Path | None = None, input: str | None = None,
             timeout: float = 20) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
               "LC_ALL": "C"}
        return subprocess.run(
            list(argv), cwd=cwd or tmp_path, input=input if input is not None else "",
            capture_output=True, text=True, timeout=timeout, env=env, start_new_session=True,
        )

    return _run
