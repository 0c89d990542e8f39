"""Which entry texts already passed the checks that depend on nothing but the text.

A warm build then neither imports jsonschema nor validates files that did not change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

from faqkb._util import atomic_write
from faqkb.load.schema import entry_schema


class SchemaMemo:
    """Digests of entry texts that had no problem, so unchanged files skip the checks that
    depend on nothing but the text (the JSON Schema, regex compilation).

    Validation (and importing jsonschema) is most of a warm build's own cost; those
    verdicts depend only on the text and the schema, so that pair is the key. Checks
    against other files and registries (sections, fixtures, see_also) always run.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: set[str] = set()
        self.seen: set[str] = set()
        self._salt = hashlib.sha256(json.dumps(entry_schema(), sort_keys=True).encode()).digest()
        if path is not None:
            try:
                self.known = set(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                self.known = set()

    def digest(self, text: str) -> str:
        """The key of ``text``: its hash, salted with the schema it was checked against."""
        return hashlib.sha256(self._salt + text.encode("utf-8")).hexdigest()

    def trusted(self, digest: str) -> bool:
        """True when a text with this digest passed every text-only check before."""
        return digest in self.known

    def passed(self, digest: str) -> None:
        """Remember that a text had no problem at all (only such texts are trusted next time)."""
        self.seen.add(digest)

    def save(self) -> None:
        """Write what passed this time (atomically), if it differs from what was read."""
        if self.path is None or self.seen == self.known:
            return
        with contextlib.suppress(OSError):  # only a speed-up; never fail a build over it
            atomic_write(self.path, json.dumps(sorted(self.seen)))
