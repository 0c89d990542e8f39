"""Shared pytest fixtures (keep small: only what several test modules need)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from tests.kbutil import REPO, VerifiedKb, run_faqkb, run_python, tool_env, tree_state, verified_real_kb


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory):
    """One test PKI per test session (per xdist worker): keys are made once and reused."""
    from faqkb.pki.authority import Pki

    return Pki(tmp_path_factory.mktemp("pki"))


Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def run_tool(tmp_path: Path) -> Run:
    """Run a real tool: timeout, explicit environment, own process group, sandbox cwd.

    ``run_tool(argv, cwd=None, input=None, timeout=20, env=None)`` returns the CompletedProcess
    (text), with stderr kept separate; ``env`` is added to the shared explicit environment.
    """

    def _run(argv: Sequence[str], cwd: Path | None = None, input: str | None = None,
             timeout: float = 20, env: Mapping[str, str] | None = None,
             ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(argv), cwd=cwd or tmp_path, input=input if input is not None else "",
            capture_output=True, text=True, timeout=timeout,
            env=tool_env(tmp_path, {"LC_ALL": "C", **(env or {})}), start_new_session=True,
        )

    return _run


@pytest.fixture
def faqkb(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Run the ``faqkb`` command: ``python -m faqkb ARGS`` (``search`` takes its fast path).

    ``faqkb(cwd, *args, env=None, input=None, timeout=120)`` returns the CompletedProcess (text,
    stderr apart, any exit status); it runs in ``cwd`` with its own process group, a timeout and
    the explicit environment of :func:`tests.kbutil.tool_env` (``env`` added), HOME a fresh dir.
    """
    home = tmp_path_factory.mktemp("home")

    def _faqkb(cwd: Path, *args: str, env: Mapping[str, str] | None = None, input: str | None = None,
               timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return run_faqkb(cwd, *args, home=home, env=env, input=input, timeout=timeout)

    return _faqkb


@pytest.fixture
def mkdocs(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """Run MkDocs like :func:`faqkb` runs faqkb: ``mkdocs(cwd, *args, env=None, timeout=300)``."""
    home = tmp_path_factory.mktemp("home")

    def _mkdocs(cwd: Path, *args: str, env: Mapping[str, str] | None = None,
                timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return run_python(cwd, "-m", "mkdocs", *args, home=home, env=env, timeout=timeout)

    return _mkdocs


@pytest.fixture(scope="session")
def verified_kb(tmp_path_factory: pytest.TempPathFactory) -> VerifiedKb:
    """This repository's KB copied out of the checkout and verified once for the whole run
    (all xdist workers share it). Read-only: copy ``.path`` (kbutil.copy_tree) to write."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return verified_real_kb(root, tmp_path_factory.mktemp("home"))


# ------------------------------------------------------------------ the checkout stays clean
# Tests work on copies (kbutil.copy_real_kb): a run that changed what faqkb writes into the
# checkout fails. Checked once, by the process that runs the session (the xdist controller).
WATCHED = (REPO / ".faqkb-cache", REPO / "site")
_BEFORE = pytest.StashKey[dict]()
_CHANGED = pytest.StashKey[list]()


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if not _is_worker(session.config):
        session.config.stash[_BEFORE] = {p: tree_state(p) for p in WATCHED}


def pytest_sessionfinish(session: pytest.Session) -> None:
    before = session.config.stash.get(_BEFORE, None)
    if before is None:
        return
    changed = [str(p) for p, state in before.items() if tree_state(p) != state]
    session.config.stash[_CHANGED] = changed
    if changed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    changed = config.stash.get(_CHANGED, [])
    if changed:
        terminalreporter.write_sep("=", "the test run wrote into the checkout", red=True)
        for path in changed:
            terminalreporter.write_line(f"{path} changed during the run: tests must work on a copy")
