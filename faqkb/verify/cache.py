"""Content-addressed cache of verification results.

A result is reused only when nothing it depends on changed: the entry's commands
and expectations, its httpd block, the fixtures and scenarios it uses, the snippet
files it copies, its recorded snapshots (``<id>.snap``), faqkb's own code that makes a
result (the runner, the servers, the fixtures, the PKI and the snapshot masks:
:func:`code_digest`), the versions of the tools the entry's commands use
(:mod:`faqkb.verify.tools`), the entry's ``env`` and ``requires``, and the reader's paths.
Only passing results are stored: a failure is always re-run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from faqkb import __version__
from faqkb._util import atomic_write
from faqkb.model import Entry
from faqkb.results import EntryResult

CACHE_FORMAT = 3
_PACKAGE = Path(__file__).resolve().parent.parent
#: faqkb's code a result depends on: what runs commands and checks them, the servers they
#: talk to, the files they are given, and the vocabulary in between (relative to the package).
RESULT_CODE = ("run", "proc", "pki", "tlsserver", "httpd", "snapshots", "_util.py", "model.py",
               "placeholders.py", "results.py")


def code_digest(package: Path = _PACKAGE) -> str:
    """A hash of the sources of :data:`RESULT_CODE` in ``package``: editing any of them
    (in a checkout, or by upgrading faqkb) makes every result be verified again."""
    h = hashlib.sha256(__version__.encode())
    for name in RESULT_CODE:
        base = package / name
        for path in sorted(base.rglob("*.py")) if base.is_dir() else [base]:
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def _own_code() -> str:
    return code_digest()


def entry_key(entry: Entry, snippets_dir: Path | None, tools: dict[str, str], *,
              reader: tuple[str, str] = ("", "")) -> str:
    """The hash of everything ``entry``'s verification depends on: ``tools`` are the versions
    of the tools its commands use, ``reader`` the reader's directory and home (outputs and
    expectations see paths in those terms)."""
    snippet_names = sorted({s for c in entry.commands for s in c.snippets}
                           | set(entry.httpd.snippets if entry.httpd else ()))
    snippets: dict[str, str] = {}
    for name in snippet_names:
        path = (snippets_dir / name) if snippets_dir else None
        data = path.read_bytes() if path and path.is_file() else b""
        snippets[name] = hashlib.sha256(data).hexdigest()
    material: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "faqkb": _own_code(),
        "tools": tools,
        "reader": list(reader),
        "env": list(entry.env),
        "requires": list(entry.requires),
        "commands": [dataclasses.asdict(c) | {"line": 0} for c in entry.commands],
        "httpd": dataclasses.asdict(entry.httpd) if entry.httpd else None,
        "snippets": snippets,
        # Editing <id>.snap (re-recording, or by hand) verifies the entry again.
        "snapshots": entry.snapshots.digest if entry.snapshots else None,
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class PassLog:
    """Which tool versions each command of an entry passed with, over runs (``make matrix``
    verifies once with the system's OpenSSL and once with another): ``passed/<id>.json`` under
    the cache directory, kept for one tool-free key (the entry's inputs but the versions) and
    dropped when the entry changes. Like the cache, it only informs: errors are ignored."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory / "passed"

    def record(self, result: EntryResult, base: str) -> None:
        """Add ``result``'s passing commands with its tool versions under ``base``, then set
        each command's ``also`` to the other versions it passed with."""
        path = self.dir / f"{result.entry}.json"
        runs: list[dict[str, Any]] = []
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            data = json.loads(path.read_text("utf-8"))
            if data["key"] == base:
                runs = [r for r in data["runs"] if isinstance(r["tools"], dict) and isinstance(r["ok"], list)]
        ok = sorted(c.index for c in result.commands if c.ok)
        runs = [r for r in runs if r["tools"] != result.tools]
        if ok:
            runs.append({"tools": dict(result.tools), "ok": ok})
        for c in result.commands:
            mine = {n: result.tools.get(n, "") for n in c.tools}
            seen: list[dict[str, str]] = []
            for r in runs:
                theirs = {n: str(r["tools"].get(n, "")) for n in c.tools}
                if c.index in r["ok"] and theirs != mine and all(theirs.values()) and theirs not in seen:
                    seen.append(theirs)
            c.also = seen
        with contextlib.suppress(OSError):
            atomic_write(path, json.dumps({"key": base, "runs": runs[-8:]}, indent=1))


class ResultCache:
    """One JSON file per entry under ``dir``; writes are atomic (temp file + rename)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        #: Why results could not be stored (a read-only checkout, a full disk), if they could not.
        self.write_error: str | None = None

    def _path(self, entry_id: str) -> Path:
        return self.dir / "results" / f"{entry_id}.json"

    def get(self, entry_id: str, key: str) -> EntryResult | None:
        """The stored result for ``entry_id`` if its key matches, else None."""
        try:
            data = json.loads(self._path(entry_id).read_text("utf-8"))
            result = EntryResult.from_json(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return result if result.key == key and result.ok else None

    def stored_key(self, entry_id: str) -> str | None:
        """The key of the result stored for ``entry_id`` (None for none): what its inputs
        were when it last passed."""
        try:
            key = json.loads(self._path(entry_id).read_text("utf-8"))["key"]
        except (OSError, ValueError, TypeError, KeyError):
            return None
        return key if isinstance(key, str) else None

    def previous_seconds(self, entry_id: str) -> float | None:
        """How long the entry's commands took last time (whatever its key), for scheduling."""
        try:
            data = json.loads(self._path(entry_id).read_text("utf-8"))
            return float(sum(c["seconds"] for c in data["commands"]))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def put(self, result: EntryResult) -> None:
        """Store a passing result; failures are never cached."""
        if not result.ok:
            with contextlib.suppress(OSError):
                self._path(result.entry).unlink()
            return
        try:
            atomic_write(self._path(result.entry), json.dumps(result.to_json(), indent=1))
        except OSError as exc:  # the cache only saves time: a run never fails over it
            self.write_error = f"{exc.strerror or exc} ({self.dir})"
