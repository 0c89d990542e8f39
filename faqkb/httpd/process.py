"""The private httpd's process: config test, start, error logs, stop.

:class:`HttpdProcess` has an :class:`~faqkb.httpd.config.HttpdConfig` (the sandbox, its configs
and wrappers; the sandbox layout, the reader-path table and the port rewriting are described
there) and can run Debian's ``/usr/sbin/apache2`` in the foreground in its own process
group, read what it logs, and stop it together with any httpd a command started in the same
sandbox. Every backend that may have an httpd running is stopped when the interpreter exits.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO

from faqkb._util import SYSTEM_PATH, once, tail
from faqkb.httpd.config import APACHE2, MODULES_DIR, HttpdConfig, HttpdError
from faqkb.model import Httpd
from faqkb.proc import spawn
from faqkb.proc.liveness import alive, signal_all, wait_exit
from faqkb.proc.sandbox import Sandbox, entered_pid, inner_pid

_POLL = 0.02
_ERROR_LINES = 25  # lines of httpd's own output an error carries
_STOP_GRACE = 5.0


@once
def httpd_available() -> str | None:
    """None if apache2 (with mod_ssl) is usable here, else a one-line reason."""
    if not os.access(APACHE2, os.X_OK):
        return f"apache2 not installed: {APACHE2} is missing or not executable"
    if not (MODULES_DIR / "mod_ssl.so").is_file():
        return f"apache2 has no mod_ssl: {MODULES_DIR / 'mod_ssl.so'} is missing"
    try:
        _version_output()
    except (OSError, subprocess.SubprocessError, HttpdError) as exc:
        return f"apache2 does not run: {exc}"
    return None


@once
def _version_output() -> str:
    out = spawn.run([str(APACHE2), "-v"], text=True, timeout=10,
                    env={"PATH": SYSTEM_PATH, "LANG": "C"}, start_new_session=True, cwd="/")
    if out.returncode != 0:
        raise HttpdError((out.stdout + out.stderr).strip())
    return str(out.stdout)


def httpd_version() -> str:
    """The installed httpd's version, e.g. ``2.4.71``."""
    m = re.search(r"Apache/(\S+)", _version_output())
    if not m:
        raise HttpdError(f"cannot read the httpd version from: {_version_output().strip()}")
    return m.group(1)


_ENTRY_LINE = re.compile(r"line (\d+) of (\S*?entry\.conf)")


class HttpdProcess:
    """One private httpd for one entry's sandbox, run on its :class:`HttpdConfig` (``config``;
    the sandbox layout and the port rewriting are described in :mod:`faqkb.httpd.config`)."""

    def __init__(self, spec: Httpd, sandbox: Path, *, timeout: float = 30.0,
                 confine: Sandbox | None = None, cancel: threading.Event | None = None) -> None:
        self.config = HttpdConfig(spec, sandbox)
        #: Set on Ctrl-C: a start still waiting for httpd gives up at once.
        self.cancel = cancel
        #: The entry's namespaces httpd (and its config test) runs in, like the commands.
        self.confine = confine
        self.spec = spec
        self.sandbox = self.config.sandbox
        self.timeout = timeout
        #: Where httpd writes its pid (the config test says, in case the entry moved it).
        self.pid_file = self.config.pid_file
        self._proc: subprocess.Popen[bytes] | None = None
        self._marks: list[dict[Path, int]] = []

    # ----------------------------------------------------------------- context manager
    def __enter__(self) -> HttpdProcess:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # ----------------------------------------------------------------- config
    def prepare(self) -> tuple[dict[str, str], dict[str, str]]:
        """Write the configs, ``files`` and wrappers; return (placeholder values, command env)."""
        # From here on a command may start httpd in this sandbox: stop it at exit at the latest.
        _LIVE.add(self)
        with spawn.writing():  # its scripts are executed later (see faqkb.proc.spawn)
            return self.config.prepare()

    # ----------------------------------------------------------------- lifecycle
    def _run_env(self) -> dict[str, str]:
        return {"PATH": SYSTEM_PATH, "LANG": "C", **self.config.apache_env()}

    def _cmd(self, *args: str) -> list[str]:
        argv = [str(APACHE2), "-d", str(self.sandbox), "-f", str(self.config.conf), *args]
        return self.confine.wrap(argv) if self.confine is not None else argv

    def config_test(self) -> str:
        """Run httpd's config test; return its run-time config dump, or raise HttpdError."""
        if not self.config.prepared:
            self.prepare()
        # The config test is quick but gets at least 10 s: ``timeout`` bounds the start-up
        # wait, and a tiny one (a test of that wait) must not fail the test first.
        limit = max(self.timeout, 10.0)
        try:
            out = spawn.run(self._cmd("-t", "-D", "DUMP_RUN_CFG"), text=True, errors="replace",
                            timeout=limit, env=self._run_env(), cwd=self.sandbox,
                            start_new_session=True)
        except subprocess.TimeoutExpired as exc:
            raise HttpdError(f"apache2 -t did not finish within {limit:g}s") from exc
        text = out.stdout + out.stderr
        if out.returncode != 0:
            raise self._error(text)
        m = re.search(r'^PidFile: "([^"]+)"', out.stdout, re.MULTILINE)
        if m:
            self.pid_file = Path(m.group(1))
        return str(out.stdout)

    def _error(self, text: str) -> HttpdError:
        m = _ENTRY_LINE.search(text)
        return HttpdError(tail(text, _ERROR_LINES) or "httpd failed without a message",
                          int(m.group(1)) if m else None)

    def start(self) -> None:
        """Config test, then httpd in the foreground; return once every port accepts."""
        if self._proc is not None and self._proc.poll() is None:
            return
        self.config_test()
        mark = self.log_mark()
        startup = self.sandbox / "logs" / "startup.out"
        with open(startup, "wb") as out:
            self._proc = spawn.popen(
                self._cmd("-DFOREGROUND"), stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if self.spec.passphrase is not None else subprocess.DEVNULL,
                env=self._run_env(), cwd=self.sandbox, start_new_session=True)
        if self.spec.passphrase is not None and self._proc.stdin:
            self._feed(self._proc.stdin, self.spec.passphrase)
        deadline = time.monotonic() + self.timeout
        ports = sorted(self.config.listened)
        while True:
            if self._proc.poll() is not None:
                text = self.log_since(mark) + "\n" + startup.read_text(errors="replace")
                self.stop()
                raise self._error("\n".join(ln for ln in text.splitlines()
                                            if not re.search(r":(info|debug|trace\d)\]", ln)))
            if self._ready(ports):
                return
            if self.cancel is not None and self.cancel.is_set():
                self.stop()
                raise HttpdError("interrupted while httpd was starting")
            if time.monotonic() > deadline:
                last = tail(self.log_since(mark) + "\n" + startup.read_text(errors="replace"),
                            _ERROR_LINES)
                self.stop()
                raise HttpdError(f"httpd did not accept connections on 127.0.0.1:{ports} within "
                                 f"{self.timeout:g}s\n{last}".strip())
            time.sleep(_POLL)

    @staticmethod
    def _feed(pipe: IO[bytes], passphrase: str) -> None:
        # mod_ssl may ask more than once (a retry, several keys); a pipe buffers all of it.
        with contextlib.suppress(OSError):
            pipe.write((passphrase + "\n").encode() * 3)
        with contextlib.suppress(OSError):
            pipe.close()

    def _ready(self, ports: list[int]) -> bool:
        # The pid file is written only after post-config (SSL init included) succeeded; a
        # port alone may accept while httpd is about to die of a key/cert mismatch. The ports
        # are checked in /proc/net/tcp, not by connecting: a probe would put a "handshake
        # stopped" line in the error log the entry's expectations read.
        assert self._proc is not None
        # Sandboxed, our child is nsenter and httpd writes its pid as the namespace sees it.
        ours = self._proc.pid if self.confine is None or not self.confine.confined \
            else inner_pid(self._proc.pid)
        try:
            if int(self.pid_file.read_text().strip()) != ours:
                return False
        except (OSError, ValueError):
            return False
        return set(ports) <= _listening()

    # ----------------------------------------------------------------- logs
    def log_mark(self) -> int:
        """A mark for :meth:`log_since`: what every error log holds now."""
        self._marks.append({p: p.stat().st_size if p.exists() else 0 for p in self.config.logs})
        return len(self._marks) - 1

    def log_since(self, mark: int) -> str:
        """What httpd wrote to its error log(s) since ``mark`` (main log first)."""
        sizes = self._marks[mark] if 0 <= mark < len(self._marks) else {}
        chunks = []
        for path in self.config.logs:
            if not path.exists():
                continue
            with open(path, "rb") as f:
                start = sizes.get(path, 0)
                if start > path.stat().st_size:  # truncated or rotated
                    start = 0
                f.seek(start)
                chunks.append(f.read().decode(errors="replace"))
        return "".join(chunks)

    # ----------------------------------------------------------------- stop
    def stop(self) -> None:
        """Stop every httpd of this sandbox (ours, and any a command started); idempotent."""
        confined = self.confine is not None and self.confine.confined
        if self._proc is not None:
            if confined:
                _stop_child(self._proc, entered_pid(self._proc.pid), signal.SIGKILL)
            else:
                _stop_child(self._proc, self._proc.pid, signal.SIGTERM)
            self._proc = None
        if confined:
            # Any httpd a command started is in the entry's namespace, which ends right after
            # (the sandbox closes next, or with faqkb): no need to look for it in all of /proc,
            # which costs a read of every process's command line on a busy machine.
            _LIVE.discard(self)
            return
        # httpd started by a command (``apachectl start``) daemonized into a session of its
        # own: find it by the pid file and by our unique -f path (workers carry it too).
        for _ in range(3):
            pids = set(self._pids_by_cmdline())
            with contextlib.suppress(OSError, ValueError):
                pid = int(self.pid_file.read_text().strip())
                if self._is_ours(pid):
                    pids.add(pid)
            if not pids:
                break
            signal_all(pids, signal.SIGTERM)  # what ``apachectl -k stop`` sends
            deadline = time.monotonic() + _STOP_GRACE
            while (pids := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
                time.sleep(_POLL)
            signal_all(pids, signal.SIGKILL)
        _LIVE.discard(self)

    def _is_ours(self, pid: int) -> bool:
        try:
            args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return False
        return str(self.config.conf).encode() in args and alive(pid)

    def _pids_by_cmdline(self) -> Iterator[int]:
        for entry in os.scandir("/proc"):
            if entry.name.isdigit() and self._is_ours(int(entry.name)):
                yield int(entry.name)


def _listening() -> set[int]:
    """Ports in LISTEN state on 127.0.0.1 (or any address), from /proc/net/tcp."""
    ports = set()
    with contextlib.suppress(OSError):
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            addr, port = fields[1].split(":")
            if fields[3] == "0A" and addr in ("0100007F", "00000000"):
                ports.add(int(port, 16))
    return ports


def _stop_child(proc: subprocess.Popen[bytes], httpd: int | None, sig: int) -> None:
    """Signal our foreground httpd (``httpd``: its host pid) with ``sig``, then SIGKILL its
    whole process group, then reap it.

    Sandboxed, our child is nsenter and httpd its child: httpd gets the signal, and nsenter
    reaps it and exits by itself (signalled first, nsenter would leave httpd to the machine's
    init to reap, and the namespace could not end until it did). There ``sig`` is SIGKILL: the
    entry is over, its logs are read, and the namespace ends next anyway; a graceful stop would
    only add its wait. The group is killed before the parent is reaped: its unreaped pid keeps
    the group id from being reused, so the SIGKILL cannot reach anyone else's processes.
    """
    if proc.returncode is not None:
        return  # already reaped: its pid may be someone else's now; stop() scans for leftovers
    if httpd is not None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(httpd, sig)
    wait_exit(proc.pid, _STOP_GRACE)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)  # workers, the cgid daemon, piped loggers
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=_STOP_GRACE)
    if proc.stdin:
        with contextlib.suppress(OSError):
            proc.stdin.close()


#: Backends that may have an httpd running (strong references: a dropped backend is still
#: stopped at exit).
_LIVE: set[HttpdProcess] = set()


@atexit.register
def _stop_all() -> None:
    """Leave no httpd behind when the interpreter exits without stopping a backend."""
    for backend in list(_LIVE):
        with contextlib.suppress(Exception):
            backend.stop()
