"""Build the offline search index: SQLite FTS5 over every entry, kept beside the cache.

The index holds what a reader might type or paste: the question, the other ways people
ask it and the error lines they paste (aliases), tags, the answer, the commands, and
the output those commands really produced when verified (so a pasted error line finds
the entry that reproduced it). It is rebuilt only when its inputs change
(:func:`ensure_index`); the query side (:mod:`faqkb.search.query`) imports nothing of this.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import sqlite3
from pathlib import Path

from faqkb import __version__, placeholders
from faqkb._util import replacing
from faqkb.model import Entry, KnowledgeBase
from faqkb.results import EntryResult
from faqkb.run.redact import redact
from faqkb.search.schema import COLUMNS, INDEX_NAME, SCHEMA_VERSION

_MD = re.compile(r"[`*_>#|]|\]\([^)]*\)")
_MAX_OUTPUT = 4000  # characters of output per entry: the error lines, not whole certificates
_OUTPUT_LINES = 40  # lines of each command's output: where its error lines are


_COMPOUND = re.compile(r"\b([A-Za-z]+)-([A-Za-z]+)\b")


def _with_compounds(text: str) -> str:
    """Add the joined form of hyphenated words: "pass-phrase" is also found as "passphrase"."""
    joined = {a + b for a, b in _COMPOUND.findall(text)}
    return text + ("\n" + " ".join(sorted(joined)) if joined else "")


def _plain(markdown: str) -> str:
    """Markdown to the words a reader sees (links keep their text, markup goes)."""
    return _MD.sub(" ", markdown)


def _row(e: Entry, er: EntryResult | None) -> tuple[str, ...]:
    outputs = []
    if er is not None:
        for c in er.commands:
            text = "\n".join(c.combined.splitlines()[:_OUTPUT_LINES])  # redacted by the runner
            outputs.append(text + ("\n" + c.server_log if c.server_log else ""))
    output = "\n".join(outputs)[:_MAX_OUTPUT]
    columns = (
        e.question,
        "\n".join(e.aliases),
        " ".join(e.tags),
        _plain(e.answer + "\n" + (e.then_and_now or "")),
        "\n".join(placeholders.for_page(c.run) for c in e.commands)
        + ("\n" + redact(e.httpd.config) if e.httpd else ""),
        output,
        "\n".join(f"{leg.ref} {leg.question}" for leg in e.legacy),
    )
    return tuple(_with_compounds(c) for c in columns)


def build_index(kb: KnowledgeBase, results: dict[str, EntryResult], path: Path, digest: str) -> None:
    """Write the index for ``kb`` to ``path`` atomically (a temp file renamed into place)."""
    with replacing(path) as tmp, contextlib.closing(sqlite3.connect(tmp)) as db:
        cols = ", ".join(COLUMNS)
        # porter: "certificates" finds "certificate"; '_' stays inside a word so
        # SSL_ERROR_NO_CYPHER_OVERLAP is one term, as people paste it.
        db.execute(f"CREATE VIRTUAL TABLE entries USING fts5({cols}, "
                   "tokenize=\"porter unicode61 tokenchars '_'\")")
        db.execute("CREATE TABLE meta (entry TEXT PRIMARY KEY, section TEXT, question TEXT, "
                   "rid INTEGER)")
        db.execute("CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT)")
        for e in sorted(kb.entries.values(), key=lambda x: x.id):
            cur = db.execute(f"INSERT INTO entries ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})",
                             _row(e, results.get(e.id)))
            db.execute("INSERT INTO meta VALUES (?, ?, ?, ?)",
                       (e.id, kb.section_of(e).title, e.question, cur.lastrowid))
        db.executemany("INSERT INTO info VALUES (?, ?)",
                       [("schema", SCHEMA_VERSION), ("digest", digest),
                        ("entries", str(len(kb.entries)))])
        db.commit()


def inputs_digest(faq_dir: Path, results_dir: Path) -> str:
    """Cheap fingerprint of what the index is made of (entry files and cached results)."""
    h = hashlib.sha256(f"{__version__}/{SCHEMA_VERSION}".encode())
    for directory, pattern in ((faq_dir, "*.y*ml"), (results_dir, "*.json")):
        for p in sorted(directory.glob(pattern)) if directory.is_dir() else []:
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()


def _indexed_digest(index: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM info WHERE key = 'digest'").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def ensure_index(faq_dir: Path, snippets_dir: Path | None, cache_dir: Path) -> Path:
    """The index for ``faq_dir``, rebuilt first if an entry or a result changed."""
    index = cache_dir / INDEX_NAME
    results_dir = cache_dir / "results"
    digest = inputs_digest(faq_dir, results_dir)
    if _indexed_digest(index) == digest:
        return index
    # Rebuilding needs the loader (YAML, the schema): only paid when something changed.
    from faqkb.load.loader import load_kb

    kb = load_kb(faq_dir, snippets_dir, only=[])  # entries with problems are left out
    results = {}
    for p in results_dir.glob("*.json") if results_dir.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            results[p.stem] = EntryResult.from_json(json.loads(p.read_text("utf-8")))
    build_index(kb, results, index, digest)
    return index
