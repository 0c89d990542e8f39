"""Small helpers several stages share: atomic writes, "did you mean", output tails, once.

A leaf: imports nothing of faqkb.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

#: typing.TYPE_CHECKING without importing typing: `faqkb search` imports this module and must
#: start in a blink (so tempfile, difflib and threading are imported where they are used, too).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

#: The PATH every child process faqkb starts gets (never the caller's own).
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: faqkb's own variable naming directories to put before :data:`SYSTEM_PATH` on every command's
#: PATH and every tool probe's: how ``make matrix`` verifies with another build of a tool (an
#: OpenSSL 3.5 command-line tool) without touching the system's. Only absolute directories count.
TOOLS_PATH_VAR = "FAQKB_TOOLS_PATH"
TAIL_LINES = 8
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def command_path() -> str:
    """The PATH a command or tool probe starts with: the directories of ``FAQKB_TOOLS_PATH``
    (faqkb's own environment), then :data:`SYSTEM_PATH`."""
    extra = [d for d in os.environ.get(TOOLS_PATH_VAR, "").split(":") if d.startswith("/")]
    return ":".join([*dict.fromkeys(extra), SYSTEM_PATH])


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` to write; renamed over ``path`` when the block ends.

    A reader (CI, a concurrent build) sees the old file or the new one, never half of
    one; if the block fails, the temporary file is removed and ``path`` is left as it was.
    """
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`replacing`)."""
    with replacing(path) as tmp:
        tmp.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def did_you_mean(name: str, known: Iterable[str], *, show: Callable[[str], str] = repr,
                 otherwise: str | None = None) -> str:
    """The one wording of a hint for an unknown name: ``did you mean 'x'?``.

    With no close match: ``otherwise`` if given, else the known names (or "none").
    """
    import difflib

    choices = list(dict.fromkeys(known))
    hint = difflib.get_close_matches(name, choices, n=1)
    if hint:
        return f"did you mean {show(hint[0])}?"
    if otherwise is not None:
        return otherwise
    return f"known: {', '.join(sorted(choices)) or 'none'}"


def printable(text: str) -> str:
    """Control characters (ESC, NUL, ...) shown as ``\\xNN`` (newlines and tabs kept), so text
    from an entry or a command can neither change a terminal nor vanish from a page."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 entry``, ``2 entries``: ``n`` and the word that goes with it (``words``: the plural,
    else ``word`` + s)."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def tail(text: str, n: int = TAIL_LINES) -> str:
    """The last ``n`` non-empty lines of ``text``, for failure reports."""
    lines = [ln for ln in text.rstrip().split("\n") if ln.strip()]
    return "\n".join(lines[-n:])


def once(fn: Callable[[], T]) -> Callable[[], T]:
    """Cache a no-argument probe; concurrent first callers wait for one run, not start two."""
    import threading

    lock = threading.Lock()
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper() -> T:
        with lock:
            return cached()

    return wrapper
