"""A limit on the number of processes of one sandbox: a ``pids`` cgroup per entry.

Why a cgroup: ``RLIMIT_NPROC`` counts every process of the real uid and is not enforced for
root (as CI runs), so a fork bomb (``:(){ :|:& };:``) would fill the machine's process table
before its timeout. A cgroup's ``pids.max`` caps the tasks (processes and threads) of the
sandbox alone, for any uid; forks beyond it fail (EAGAIN) and ``pids.events`` counts them, so
the runner can say the limit was hit. Each command joins the cgroup before it enters the
namespace (a tiny ``sh`` writes its own pid into ``cgroup.procs``, then execs), so everything
it starts, daemons included, counts against the same limit.

Where: a child of faqkb's own cgroup in the ``pids`` hierarchy, cgroup v2 (where ``pids`` is
enabled for faqkb's cgroup's children, e.g. a delegated systemd scope) or v1, if faqkb may
create it (root, or a delegated subtree). Elsewhere (a normal user without delegation)
:mod:`faqkb.proc.sandbox` falls back to ``RLIMIT_NPROC``, which kernels since 5.14 count per
user namespace, so it limits that sandbox (bubblewrap gives a normal user one of its own).

A leaf apart from :mod:`faqkb._util`, :mod:`faqkb.proc.spawn` and :mod:`faqkb.proc.liveness`.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import subprocess
import time
from pathlib import Path

from faqkb._util import SYSTEM_PATH, once
from faqkb.proc import spawn
from faqkb.proc.liveness import alive

#: Tasks (processes and threads) one entry's sandbox may have at once. The mod_ssl KB peaks
#: at 23 (httpd's threads); a JVM or a build tool may want a few hundred; a fork bomb stops here.
PIDS_LIMIT = 512
_PREFIX = "faqkb-"
_COUNTER = itertools.count()


def _own_paths() -> list[tuple[str, str, str]]:
    """(version, hierarchy mount point, faqkb's cgroup path under it) for each usable hierarchy."""
    try:
        groups = Path("/proc/self/cgroup").read_text().splitlines()
        mounts = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return []
    own: dict[str, str] = {}
    for line in groups:  # "8:pids:/path" (v1) or "0::/path" (v2)
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            own["v2"] = path
        elif "pids" in controllers.split(","):
            own["v1"] = path
    found = []
    for line in mounts:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        tail = line.split(" - ", 1)[1].split()
        fstype, options = tail[0], tail[2] if len(tail) > 2 else ""
        root, point = fields[3], fields[4]
        version = "v2" if fstype == "cgroup2" else "v1" if fstype == "cgroup" and \
            "pids" in options.split(",") else None
        if version is None or version not in own:
            continue
        path = own[version]
        if root != "/" and path.startswith(root):  # a container sees a part of the hierarchy
            path = path[len(root):]
        found.append((version, point, path))
    return sorted(found, key=lambda f: f[0] != "v2")  # v2 first


def _usable(version: str, parent: Path) -> bool:
    if not os.access(parent, os.W_OK | os.X_OK):
        return False
    if version == "v2":  # children get pids.max only where the parent enables it for them
        try:
            return "pids" in (parent / "cgroup.subtree_control").read_text().split()
        except OSError:
            return False
    return True


@once
def _parent() -> Path | None:
    """Where the sandboxes' cgroups go, or None when no pids cgroup can be made here."""
    for version, point, path in _own_paths():
        parent = Path(point) / path.lstrip("/")
        if _usable(version, parent) and _can_join(parent):
            _remove_stale(parent)
            return parent
    return None


def _can_join(parent: Path) -> bool:
    """Whether a process can really be moved into a child cgroup of ``parent`` (a container
    may let faqkb create cgroups it cannot join): tried once, with a throwaway one."""
    trial = PidsCgroup(parent / f"{_PREFIX}{os.getpid()}-trial")
    try:
        trial.path.mkdir()
    except OSError:
        return False
    try:
        out = spawn.run([*trial.enter_argv(), "/bin/true"], timeout=10, env={"PATH": SYSTEM_PATH},
                        cwd="/", start_new_session=True)
        return out.returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False
    finally:
        trial.remove()


def pids_parent() -> Path | None:
    """The cgroup the sandboxes' pids cgroups are made in; None where there is none."""
    return _parent()


def pids_problem() -> str | None:
    """None if each sandbox gets its own pids cgroup here, else why not (one line)."""
    if _parent() is None:
        return "no pids cgroup can be created here (cgroup v1 pids or v2 with pids delegated)"
    return None


def _remove_stale(parent: Path) -> None:
    """Empty cgroups a killed faqkb left behind (named after its pid, which is gone)."""
    with contextlib.suppress(OSError):
        for child in parent.iterdir():
            owner = child.name[len(_PREFIX):].split("-")[0]
            if child.name.startswith(_PREFIX) and owner.isdigit() and not alive(int(owner)):
                with contextlib.suppress(OSError):
                    child.rmdir()


class PidsCgroup:
    """One sandbox's pids cgroup (``path``); :meth:`create` returns None where there is none."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.procs = path / "cgroup.procs"

    @classmethod
    def create(cls, name: str, limit: int = PIDS_LIMIT) -> PidsCgroup | None:
        """A new cgroup capped at ``limit`` tasks, or None if none can be made."""
        parent = _parent()
        if parent is None:
            return None
        path = parent / f"{_PREFIX}{os.getpid()}-{next(_COUNTER)}-{name}"[:200]
        try:
            path.mkdir()
            (path / "pids.max").write_text(f"{limit}\n")
        except OSError:
            with contextlib.suppress(OSError):
                path.rmdir()
            return None
        return cls(path)

    def enter_argv(self) -> list[str]:
        """Argv prefix: the program that follows runs in this cgroup (with all it starts)."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.procs)]

    def hits(self) -> int:
        """How many forks the limit has refused so far."""
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in (self.path / "pids.events").read_text().splitlines():
                key, value = line.split()
                if key == "max":
                    return int(value)
        return 0

    def remove(self, timeout: float = 2.0) -> None:
        """Remove the cgroup once its last task has gone (they are being killed already)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:  # EBUSY: a task is still exiting
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.01)
