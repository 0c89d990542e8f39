"""Content-addressed cache of verification results.

A result is reused only when nothing it depends on changed: the entry's commands
and expectations, its httpd block, the fixtures and scenarios it uses, the snippet
files it copies, the faqkb version, and the versions of openssl, curl and httpd.
Only passing results are stored: a failure is always re-run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from faqkb import __version__
from faqkb.model import Entry
from faqkb.results import EntryResult

CACHE_FORMAT = 2


def entry_key(entry: Entry, snippets_dir: Path | None, tools: dict[str, str]) -> str:
    """The hash of everything ``entry``'s verification depends on."""
    snippet_names = sorted({s for c in entry.commands for s in c.snippets}
                           | set(entry.httpd.snippets if entry.httpd else ()))
    snippets: dict[str, str] = {}
    for name in snippet_names:
        path = (snippets_dir / name) if snippets_dir else None
        data = path.read_bytes() if path and path.is_file() else b""
        snippets[name] = hashlib.sha256(data).hexdigest()
    material: dict[str, Any] = {
        "format": CACHE_FORMAT,
        "faqkb": __version__,
        "tools": tools,
        "commands": [dataclasses.asdict(c) | {"line": 0} for c in entry.commands],
        "httpd": dataclasses.asdict(entry.httpd) if entry.httpd else None,
        "snippets": snippets,
    }
    blob = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class ResultCache:
    """One JSON file per entry under ``dir``; writes are atomic (temp file + rename)."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory

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
        path = self._path(result.entry)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(result.to_json(), f, indent=1)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
