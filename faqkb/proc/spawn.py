"""Starting processes while other threads write files, without "Text file busy".

A process forked in one thread inherits, until it execs, every file descriptor the
parent holds, including a script another thread is still writing. Executing that
script then fails with ETXTBSY ("Text file busy"). So in faqkb every process start,
and every write of a file that may be executed (snippets, httpd's scripts), takes this
one lock. Popen returns once the child has exec'd, so the lock is held for
milliseconds, never for the life of a command.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

LOCK = threading.Lock()


def popen(*args: Any, **kwargs: Any) -> subprocess.Popen[Any]:
    """:class:`subprocess.Popen`, started under the lock."""
    with LOCK:
        return subprocess.Popen(*args, **kwargs)


def run(argv: list[str], *, timeout: float, input: bytes | str | None = None,
        **kwargs: Any) -> subprocess.CompletedProcess[Any]:
    """Like :func:`subprocess.run` with ``capture_output=True``; the child is killed on timeout."""
    proc = popen(argv, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


@contextlib.contextmanager
def writing() -> Iterator[None]:
    """Hold the lock while writing files that a process may execute."""
    with LOCK:
        yield
