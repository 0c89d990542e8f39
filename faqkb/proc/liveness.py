"""Is a process alive, and stopping process groups: shared by the runner and httpd's stop."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_TERM_GRACE = 0.05  # seconds between SIGTERM and SIGKILL of a command's group


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) has stopped all the same."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def kill_group(pid: int) -> None:
    """SIGTERM then SIGKILL a whole process group; silently done if it is already gone."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if sig == signal.SIGTERM:
            time.sleep(_TERM_GRACE)


def signal_all(pids: set[int], sig: int) -> None:
    """Send ``sig`` to each of ``pids``; those already gone (or not ours) are skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
