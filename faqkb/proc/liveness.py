"""Is a process alive, and stopping process groups: shared by the runner and httpd's stop."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

_TERM_GRACE = 0.05  # seconds between SIGTERM and SIGKILL of a command's group
#: How long a group's leader gets to exit by itself once the rest of its group is killed.
_LEADER_GRACE = 0.5


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) has stopped all the same."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def kill_group(pid: int, *, leader_last: bool = False) -> None:
    """SIGTERM then SIGKILL a whole process group; silently done if it is already gone.

    ``leader_last``: the leader ``pid`` (our child, not yet reaped) is nsenter, whose child
    runs inside a sandbox's PID namespace. Killed first, nsenter would leave that child to
    the machine's init to reap, which may take seconds (or forever, where pid 1 does not
    reap), and the namespace cannot end before it is reaped. So the rest of the group is
    signalled first; nsenter reaps its child and exits by itself; then the group is killed.
    """
    if leader_last:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            others = group_members(pid) - {pid}
            signal_all(others, sig)
            if sig == signal.SIGTERM and others:
                time.sleep(_TERM_GRACE)
        wait_exit(pid, _LEADER_GRACE)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        if sig == signal.SIGTERM:
            time.sleep(_TERM_GRACE)


def wait_exit(pid: int, timeout: float) -> bool:
    """Wait up to ``timeout`` seconds until ``pid`` has exited (a zombie counts); True if so."""
    deadline = time.monotonic() + timeout
    while alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)
    return True


def group_members(pgid: int) -> set[int]:
    """The processes of process group ``pgid`` now (read from ``/proc``)."""
    found = set()
    with contextlib.suppress(OSError):
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                fields = Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 2 and fields[2] == str(pgid):  # state, ppid, pgrp
                found.add(int(name))
    return found


def signal_all(pids: set[int], sig: int) -> None:
    """Send ``sig`` to each of ``pids``; those already gone (or not ours) are skipped."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)
