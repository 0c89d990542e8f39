"""Run one shell command in a sandbox directory, safely.

Every command gets: its own process group (so a timeout or an interrupt kills
everything it started), an explicit minimal environment, a working directory that
is the sandbox, stdin fed from a string (never the terminal), and a timeout after
which the group is killed and the partial output kept. Output is read from both
pipes as it arrives, so the page can show stdout and stderr interleaved as a
reader would see them, while expectations can still look at each stream.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from faqkb._util import command_path
from faqkb.model import DEFAULT_TIMEOUT
from faqkb.proc import spawn
from faqkb.proc.liveness import kill_group
from faqkb.proc.sandbox import Sandbox

SHELL = ("/bin/bash", "--noprofile", "--norc", "-o", "pipefail", "-c")
MAX_CAPTURE = 1 << 20  # per stream; a runaway command must not eat the build's memory
_GRACE = 0.2  # seconds to drain pipes after the command exits (background children may hold them)


@dataclass
class ProcessResult:
    """What one command did."""

    exit_code: int | None
    stdout: str
    stderr: str
    combined: str
    seconds: float
    timed_out: bool = False


#: The variables an entry's ``env`` values may refer to (``PATH: /opt/x/bin:$PATH``).
EXPANDED = ("PATH", "HOME", "PWD", "TMPDIR")
_REFERENCE = re.compile(r"\$(?:\{(" + "|".join(EXPANDED) + r")\}|(" + "|".join(EXPANDED) + r")\b)")


def sandbox_env(sandbox: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The explicit environment a command sees: nothing inherited but what is listed here
    (``extra``: what an entry's httpd adds; its PATH goes before the default one)."""
    home = sandbox / ".home"
    tmp = sandbox / ".tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    env = {
        "PATH": command_path(),  # FAQKB_TOOLS_PATH's directories first (make matrix)
        "HOME": str(home),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "SHELL": "/bin/bash",
        "USER": os.environ.get("USER", "root"),
    }
    for key, value in (extra or {}).items():
        if key == "PATH":  # its directories first, then the default ones it does not list
            first = value.split(":")
            env["PATH"] = ":".join(first + [d for d in env["PATH"].split(":") if d not in first])
        else:
            env[key] = value
    return env


def with_env(base: dict[str, str], sandbox: Path, *layers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """``base`` with an entry's and then a command's ``env`` applied, each value's ``$PATH``,
    ``$HOME``, ``$PWD`` and ``$TMPDIR`` (also ``${NAME}``) replaced by the value so far (``$PWD``:
    the sandbox directory); any other ``$`` stays as written. The loader has checked the names."""
    env = dict(base)

    def value_of(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        return str(sandbox) if name == "PWD" else env.get(name, "")

    for layer in layers:
        for name, value in layer:
            env[name] = _REFERENCE.sub(value_of, value)
    return env


def run(
    command: str,
    cwd: Path,
    env: dict[str, str],
    *,
    stdin: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
    sandbox: Sandbox | None = None,
) -> ProcessResult:
    """Run ``command`` with bash in ``cwd``; never raises for the command's own failures.

    Setting ``cancel`` (on Ctrl-C) ends the command like a timeout: its group is killed.
    With ``sandbox`` (the entry's namespaces), bash runs inside it: nsenter, the group leader
    here, forks it into the namespace, so the group kill below still reaches both.
    """
    start = time.monotonic()
    argv = [*SHELL, command]
    proc = spawn.popen(
        sandbox.wrap(argv) if sandbox is not None else argv,
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    assert proc.stdin and proc.stdout and proc.stderr
    chunks: list[tuple[str, bytes]] = []
    sizes = {"out": 0, "err": 0}
    pending = (stdin or "").encode()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    if pending:
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE, "in")
    else:
        proc.stdin.close()
    deadline = start + timeout
    timed_out = False
    exited_at: float | None = None
    try:
        while sel.get_map():
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            if exited_at is not None and now - exited_at > _GRACE:
                break
            if now >= deadline or (cancel is not None and cancel.is_set()):
                timed_out = True
                break
            wait = min(deadline - now, 0.05 if exited_at is None else _GRACE)
            for key, _ in sel.select(wait):
                stream = key.data
                if stream == "in":
                    try:
                        n = os.write(key.fd, pending[:65536])
                        pending = pending[n:]
                    except (BrokenPipeError, OSError):
                        pending = b""
                    if not pending:
                        sel.unregister(key.fileobj)
                        with contextlib.suppress(OSError):
                            proc.stdin.close()
                    continue
                data = os.read(key.fd, 65536)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                if sizes[stream] < MAX_CAPTURE:
                    chunks.append((stream, data[: MAX_CAPTURE - sizes[stream]]))
                sizes[stream] += len(data)
        if not timed_out and exited_at is None:
            # Both pipes reached EOF a moment before the shell's exit status is ready:
            # wait for it (within the deadline) rather than kill a shell that is finishing.
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                timed_out = True
    finally:
        sel.close()
        # Whatever the command left running (background jobs, a hung child) goes with it.
        # Sandboxed and still running (a timeout, Ctrl-C), our child is nsenter: kill it last
        # (see kill_group), or the namespace waits for the machine's init to reap its child.
        kill_group(proc.pid, leader_last=sandbox is not None and sandbox.confined
                   and proc.poll() is None)
        for f in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                f.close()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL was sent already
            pass
    seconds = time.monotonic() - start

    def text(streams: tuple[str, ...]) -> str:
        return b"".join(d for s, d in chunks if s in streams).decode("utf-8", "replace")

    return ProcessResult(
        exit_code=None if timed_out else proc.returncode,
        stdout=text(("out",)),
        stderr=text(("err",)),
        combined=text(("out", "err")),
        seconds=seconds,
        timed_out=timed_out,
    )
