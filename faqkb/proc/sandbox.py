"""A real sandbox per entry: bubblewrap namespaces that every command and httpd is entered into.

One :class:`Sandbox` per entry. :meth:`Sandbox.start` runs ``bwrap`` with its own PID namespace,
a read-only view of the whole filesystem, a fresh ``/proc`` and ``/dev``, throwaway tmpfs's on
``/tmp``, ``/var/tmp`` and ``/dev/shm``, and one writable bind: the entry's sandbox directory (at
the same path, so outputs read exactly as before). Inside, a tiny holder process (``cat`` on a
pipe faqkb keeps open) keeps the namespace alive between commands. Each command, faqkb's own
httpd and its config test are then started with :meth:`Sandbox.wrap`: into the entry's pids
cgroup (:mod:`faqkb.proc.pidlimit`), ``nsenter`` into that PID and mount namespace, then
``prlimit`` (address space, CPU time, file size), then the program.

Why one namespace per entry and not per command: an entry's command may start httpd itself
(``apachectl start``) for a later command to talk to; a namespace per command would kill it.
Why nsenter: it forks into the namespace, so the program stays faqkb's (grand)child, in the
process group the caller gives it, with its pipes, timeout and group kill as before.

What it guarantees: writes outside the sandbox directory fail (read-only) or land in a tmpfs
that vanishes with the entry; the real home directory is hidden (an empty tmpfs); faqkb's
processes are outside the namespace, so ``$PPID`` is 0 and ``/proc/$PPID/environ`` or
``kill -STOP $PPID`` cannot reach faqkb; closing the sandbox ends the holder, the namespace's
init exits, and the kernel kills every process left in it (``setsid`` escapes, daemons,
listening ports). The network is shared on purpose: commands reach the
reference server and httpd on loopback.

As root bwrap needs no user namespace; as a normal user it makes one (owning the others) and
nsenter enters it first: the program keeps its uid and gains no capability (exec drops them),
so it can neither remount the read-only view nor leave. Where bwrap cannot run (not installed,
unprivileged user namespaces forbidden by the kernel) or ``FAQKB_SANDBOX=off``,
:func:`sandbox_problem` says why and :class:`Sandbox` runs programs as before, unconfined; the
runner marks such results unsandboxed and the reports say so.

A leaf apart from :mod:`faqkb._util` (itself a leaf).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import select
import shutil
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from faqkb._util import SYSTEM_PATH, once
from faqkb.proc import spawn
from faqkb.proc.liveness import alive
from faqkb.proc.pidlimit import PIDS_LIMIT, PidsCgroup

#: Address-space limit of every sandboxed process: enough for openssl, curl, python and httpd
#: (whose threads reserve stacks), small enough that a runaway allocation fails at once.
MEMORY_LIMIT = 4 << 30
#: CPU seconds per process: commands have wall-clock timeouts; this catches spinning daemons.
CPU_LIMIT = 600
#: Largest file a sandboxed process may write (the sandbox dir and /tmp share the disk/RAM).
FILE_LIMIT = 1 << 30
#: Size of each throwaway tmpfs (/tmp, /var/tmp, /dev/shm) inside the sandbox.
TMPFS_SIZE = 512 << 20
_START_TIMEOUT = 10.0
_ENV = {"PATH": SYSTEM_PATH, "LANG": "C"}  # bwrap's own environment is /proc/1/environ inside


#: The device nodes a command may use; bound from the host, as bwrap's ``--dev`` would.
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")


def _dev_argv() -> list[str]:
    """A minimal ``/dev``, built here rather than with bwrap's ``--dev``.

    Why: ``--dev`` mounts a devpts, and unprivileged bwrap can only do that as root of its user
    namespace, so it then nests a second user namespace to map the real uid back; nsenter can
    enter only the inner one, which does not own the PID namespace, and is refused. Without a
    devpts there is one user namespace and a normal user enters it like root enters the rest.
    Commands get no pseudo-terminals, which none of them needs (their streams are pipes).
    """
    argv = ["--tmpfs", "/dev"]
    for name in DEVICES:
        argv += ["--dev-bind", f"/dev/{name}", f"/dev/{name}"]
    for link, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        argv += ["--symlink", target, f"/dev/{link}"]
    return argv


def _forced_off() -> bool:
    return os.environ.get("FAQKB_SANDBOX", "").strip().lower() in ("off", "0", "no", "none")


@once
def sandbox_problem() -> str | None:
    """None if commands can be sandboxed here, else a one-line reason why not."""
    if _forced_off():
        return "FAQKB_SANDBOX=off: the sandbox is switched off"
    for tool in ("bwrap", "nsenter", "prlimit"):
        if shutil.which(tool, path=SYSTEM_PATH) is None:
            pkg = "bubblewrap" if tool == "bwrap" else "util-linux"
            return f"{tool} is not installed (Debian package {pkg})"
    try:
        with Sandbox(Path("/"), probe=True) as box:
            out = spawn.run(box.wrap(["/bin/true"]), timeout=_START_TIMEOUT, env=_ENV, cwd="/",
                            start_new_session=True)
    except (OSError, subprocess.SubprocessError, SandboxError) as exc:
        return f"bwrap cannot run here: {exc}"
    if out.returncode != 0:
        lines = (out.stderr or b"").decode(errors="replace").strip().splitlines()
        why = lines[-1] if lines else f"exit status {out.returncode}"
        return f"cannot enter the sandbox: {why}"
    return None


def sandbox_mode() -> str:
    """What goes into cache keys: results made with and without the sandbox are not the same."""
    return "none" if sandbox_problem() else "bwrap"


def _real_home() -> Path | None:
    """The real home directory of the user faqkb runs as, if it is one to hide.

    Not one that holds the system's programs or the throwaway dirs (a home of ``/``, say).
    """
    try:
        home = Path(pwd.getpwuid(os.geteuid()).pw_dir).resolve()
    except (KeyError, OSError):
        return None
    keep = (Path("/usr"), Path("/bin"), Path("/etc"), Path("/tmp"), Path("/var/tmp"))
    if not home.is_dir() or any(k == home or home in k.parents for k in keep):
        return None
    return home


class SandboxError(Exception):
    """bwrap did not start or did not report its namespace."""


class Sandbox:
    """The namespaces of one entry (see the module docstring); a no-op where unavailable.

    ``box`` is the only writable directory; ``read_only`` are extra paths (the reference
    server's CA file) made visible under the tmpfs's.
    """

    def __init__(self, box: Path, *, read_only: Sequence[Path] = (), probe: bool = False) -> None:
        self.box = Path(box)
        self.read_only = tuple(read_only)
        self._probe = probe  # the availability probe itself: do not ask sandbox_problem()
        self._proc: subprocess.Popen[bytes] | None = None
        self._hold: int | None = None
        self._info: int | None = None  # bwrap's info pipe, until the namespace is ready
        self._target = 0
        self._pids: PidsCgroup | None = None  # the cap on its processes (see faqkb.proc.pidlimit)
        #: Why programs run unconfined ("" when sandboxed).
        self.problem = ""

    @property
    def confined(self) -> bool:
        """True once the namespace runs: :meth:`wrap` enters it."""
        return self._proc is not None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _bwrap_argv(self, info_fd: int) -> list[str]:
        argv = ["bwrap", "--unshare-pid", "--die-with-parent", "--new-session",
                "--ro-bind", "/", "/", *_dev_argv(), "--proc", "/proc"]
        for tmp in ("/tmp", "/var/tmp", "/dev/shm"):
            argv += ["--size", str(TMPFS_SIZE), "--tmpfs", tmp]
        home = _real_home()
        if home is not None:  # hidden, not just read-only: keys and tokens live there
            argv += ["--size", str(1 << 20), "--tmpfs", str(home)]
        # After the tmpfs's, which would otherwise hide them (sandboxes live under /tmp).
        for path in self.read_only:
            argv += ["--ro-bind", str(path), str(path)]
        if self.box != Path("/"):
            argv += ["--bind", str(self.box), str(self.box)]
        # The holder: says it runs (so every mount is in place), then waits for our pipe to close.
        return [*argv, "--info-fd", str(info_fd), "--", "/bin/sh", "-c", "echo ready && exec cat"]

    def start(self) -> None:
        """Start the namespace (or note why not), without waiting for it.

        bwrap takes a few tens of milliseconds to set its mounts up, mostly waiting on the
        kernel; the runner writes fixtures and httpd's config meanwhile (the writable bind
        shows them inside), and the first :meth:`wrap` waits for the holder's "ready".
        """
        if not self._probe:
            problem = sandbox_problem()
            if problem:
                self.problem = problem
                return
        info_r, info_w = os.pipe()
        hold_r, hold_w = os.pipe()
        try:
            self._proc = spawn.popen(self._bwrap_argv(info_w), stdin=hold_r, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, pass_fds=(info_w,), env=_ENV, cwd="/",
                                     start_new_session=True)
        except BaseException:
            os.close(info_r)
            os.close(hold_w)
            raise
        finally:
            os.close(info_w)
            os.close(hold_r)
        self._hold = hold_w
        self._info = info_r
        if not self._probe:
            self._pids = PidsCgroup.create(self.box.name)

    def _ensure_ready(self) -> None:
        """Wait (once) until the namespace is set up; raises SandboxError if it failed."""
        if self._info is None:
            return
        info_r, self._info = self._info, None
        try:
            self._target = self._await_ready(info_r)
        except BaseException:
            self.close()
            raise
        finally:
            os.close(info_r)

    def _await_ready(self, info_r: int) -> int:
        """The host pid of the namespace's init, once the holder said "ready"."""
        assert self._proc is not None and self._proc.stdout is not None
        deadline = time.monotonic() + _START_TIMEOUT
        info, ready = b"", b""
        out = self._proc.stdout.fileno()
        # bwrap closes the info pipe once it has written it; an fd at EOF stays readable, so it
        # leaves the watch list then (watching it would spin a core until the holder is ready).
        watch = [info_r, out]
        while not ready.endswith(b"\n"):
            left = deadline - time.monotonic()
            readable = select.select(watch, [], [], max(0.0, left))[0] if left > 0 else []
            if not readable:
                raise SandboxError(f"bwrap did not start within {_START_TIMEOUT:g}s")
            for fd in readable:
                chunk = os.read(fd, 4096)
                if fd == info_r:
                    info += chunk
                    if not chunk:
                        watch.remove(info_r)
                elif chunk:
                    ready += chunk
                else:  # the holder never ran: bwrap said why on stderr
                    err = self._proc.stderr.read() if self._proc.stderr else b""
                    raise SandboxError(err.decode(errors="replace").strip() or "bwrap exited")
        while True:  # the info JSON is written before the mounts; it is complete by now
            with contextlib.suppress(ValueError):
                return int(json.loads(info)["child-pid"])
            chunk = os.read(info_r, 4096) if select.select([info_r], [], [], 1.0)[0] else b""
            if not chunk:  # no more within a second, or the pipe is closed: it never will be
                raise SandboxError(f"bwrap reported no child pid: {info!r}")
            info += chunk

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` run inside the namespace, under the limits; ``argv`` itself when unconfined."""
        if not self.confined:
            return argv
        try:
            self._ensure_ready()
        except SandboxError as exc:
            if self._probe:
                raise
            # Fail closed: the program does not run unconfined; the command fails saying why.
            why = f"faqkb: the sandbox did not start: {exc}"
            return ["/bin/sh", "-c", 'echo "$1" >&2; exit 125', "sh", why]
        # --wdns, not --wd: --wd opens the directory before entering, so the cwd would stay a
        # host mount and ``..`` from it would reach the real, writable parent directory.
        enter = ["nsenter", f"--target={self._target}", "--pid", "--mount", "--root",
                 f"--wdns={self.box}"]
        if os.geteuid() != 0:  # bwrap made a user namespace: enter it first (see the module doc)
            enter[2:2] = ["--user", "--preserve-credentials"]
        limits = ["prlimit", f"--as={MEMORY_LIMIT}", f"--cpu={CPU_LIMIT}", f"--fsize={FILE_LIMIT}"]
        if self._pids is not None:  # the cgroup caps the whole sandbox, for any uid
            return [*self._pids.enter_argv(), *enter, "--", *limits, "--", *argv]
        if os.geteuid() != 0:
            # No cgroup: RLIMIT_NPROC, which counts this uid's processes in the sandbox's own
            # user namespace (kernel 5.14 and later). Root ignores it: root has no cap then.
            limits.append(f"--nproc={PIDS_LIMIT}")
        return [*enter, "--", *limits, "--", *argv]

    def limit_hits(self) -> int:
        """How many forks the sandbox's process limit has refused so far (0 without a cgroup)."""
        return self._pids.hits() if self._pids is not None else 0

    def close(self) -> None:
        """End the namespace: every process still in it is killed by the kernel; idempotent."""
        if self._info is not None:
            # Never close bwrap's pipes while it is still setting up (an entry that ran no
            # command): a SIGPIPE then kills one of its two processes and the other waits
            # for it forever. Let it finish first (a failure closes everything itself).
            with contextlib.suppress(SandboxError):
                self._ensure_ready()
        if self._hold is not None:
            with contextlib.suppress(OSError):
                os.close(self._hold)  # the holder's cat sees EOF and exits, then init exits
            self._hold = None
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            proc.wait(timeout=_START_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - the holder exits on EOF
            proc.kill()
            proc.wait(timeout=_START_TIMEOUT)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        # bwrap's exit waits for its init, and the init's exit kills the namespace, but the
        # kernel finishes that asynchronously: wait until the init itself is gone.
        if self._target:
            _wait_gone(self._target, _START_TIMEOUT)
        if self._pids is not None:
            self._pids.remove()
            self._pids = None


def _wait_gone(pid: int, timeout: float) -> None:
    """Wait until ``pid`` (not our child) has exited: on its pidfd, else by polling."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:  # already gone, or a kernel without pidfds
        fd = -1
    if fd >= 0:
        try:
            select.select([fd], [], [], timeout)  # readable once the process has exited
        finally:
            os.close(fd)
        return
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)


def entered_pid(pid: int) -> int | None:
    """The host pid of the program ``wrap`` started as host ``pid`` (nsenter, which forks it
    into the namespace as its only child); None until it runs (or when it has none)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return None
    return int(children[0]) if children else None


def inner_pid(pid: int) -> int | None:
    """The pid that the program ``wrap`` started as host ``pid`` (nsenter) has inside the
    namespace; None until it runs (or without one)."""
    child = entered_pid(pid)
    try:
        status = Path(f"/proc/{child}/status").read_text() if child else ""
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])  # the innermost namespace's pid comes last
    return None
