"""`faqkb search`: offline lookup in a terminal, no network and no built site needed.

This is the query side, kept light: it imports sqlite3 and little else, so a lookup
answers in tens of milliseconds. The index (:mod:`faqkb.searchindex`) is built from the
entries and the outputs their commands really produced, and rebuilt only when an entry
or a verification result changed since.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import re
import sqlite3
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

INDEX_NAME = "search.sqlite"
#: Bump when the index's layout or content changes, so old indexes are rebuilt.
SCHEMA_VERSION = "2"
# bm25 weights, in the column order of faqkb.searchindex.COLUMNS:
# question, aliases, tags, answer, commands, output, legacy.
WEIGHTS = (8.0, 6.0, 2.0, 1.5, 1.0, 2.0, 3.0)
_CANDIDATES = 40  # bm25's best, re-ranked by coverage
_WORD = re.compile(r"[A-Za-z0-9_]+")
# Words that say nothing about which entry is meant; the question words carry no signal.
STOPWORDS = frozenset("""
a an and are as at be but by can could do does doing for from get gets getting got has have
how i if in into is it its me my no of on or our should so than that the their them then
there these this to use using was we what when where which who why will with would you your
""".split())


@dataclass(frozen=True)
class Hit:
    """One matching entry."""

    id: str
    question: str
    section: str
    score: float
    snippet: str


def terms(query: str) -> list[str]:
    """The words of ``query`` worth searching for, lowercased, in order, without repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(query.lower()):
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            seen.setdefault(w, None)
    return list(seen)


def fts_query(words: list[str]) -> str:
    """An FTS5 query matching any of ``words`` (bm25 ranks entries that match more, higher)."""
    quoted = [f'"{w}"' for w in words]
    if words and len(words[-1]) >= 3:
        quoted[-1] += "*"  # the last word may be unfinished: "certif" finds "certificate"
    return " OR ".join(quoted)


def search(index: Path, query: str, limit: int = 5) -> list[Hit]:
    """The best ``limit`` entries for ``query``, best first (empty when nothing matches).

    bm25 over an OR of the words lets one rare word outweigh the rest of a question, so
    candidates are re-ranked by coverage: every query word an entry contains adds that
    word's idf, twice when it is in the question, aliases or old question (where people's
    own words are), and bm25 only breaks ties.
    """
    words = terms(query)
    if not words:
        return []
    weights = ", ".join(str(w) for w in WEIGHTS)
    with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
        total = db.execute("SELECT count(*) FROM meta").fetchone()[0] or 1
        rows = db.execute(
            "SELECT entries.rowid, bm25(entries, " + weights + ") FROM entries "
            "WHERE entries MATCH ? ORDER BY 2 LIMIT ?", (fts_query(words), _CANDIDATES)).fetchall()
        if not rows:
            return []
        bm25 = {rid: -score for rid, score in rows}
        coverage = dict.fromkeys(bm25, 0.0)
        for i, w in enumerate(words):
            term = fts_query([w]) if i == len(words) - 1 else f'"{w}"'
            anywhere = {r[0] for r in db.execute(
                "SELECT rowid FROM entries WHERE entries MATCH ?", (term,))}
            if not anywhere:
                continue
            strong = {r[0] for r in db.execute(
                "SELECT rowid FROM entries WHERE entries MATCH ?",
                (f"{{question aliases legacy}} : ({term})",))}
            idf = math.log((total - len(anywhere) + 0.5) / (len(anywhere) + 0.5) + 1)
            for rid in coverage:
                coverage[rid] += idf * ((rid in anywhere) + (rid in strong))
        best = max(bm25.values()) or 1.0
        ranked = sorted(coverage, key=lambda rid: coverage[rid] + 0.5 * bm25[rid] / best,
                        reverse=True)[:limit]
        out = []
        for rid in ranked:
            entry, question, section = db.execute(
                "SELECT entry, question, section FROM meta WHERE rid = ?", (rid,)).fetchone()
            snip = db.execute(
                "SELECT snippet(entries, -1, '[', ']', '…', 12) FROM entries "
                "WHERE entries MATCH ? AND rowid = ?", (fts_query(words), rid)).fetchone()[0]
            out.append(Hit(entry, question, section, round(coverage[rid], 3), " ".join(snip.split())))
    return out


def inputs_digest(faq_dir: Path, results_dir: Path) -> str:
    """Cheap fingerprint of what the index is made of (entry files and cached results)."""
    from faqkb import __version__

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
    from faqkb.loader import load_kb
    from faqkb.results import EntryResult
    from faqkb.searchindex import build_index

    kb = load_kb(faq_dir, snippets_dir, only=[])  # entries with problems are left out
    results = {}
    for p in results_dir.glob("*.json") if results_dir.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            results[p.stem] = EntryResult.from_json(json.loads(p.read_text("utf-8")))
    build_index(kb, results, index, digest)
    return index


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="faqkb search",
        description="Find the entries that answer a question or an error line, offline. "
        "Paste the error as you saw it: error codes, AH numbers and browser codes are indexed, "
        "with the output each verified command really produced.",
    )
    p.add_argument("query", nargs="+", help="words, a question, or a pasted error line")
    p.add_argument("-n", type=int, default=5, metavar="N", help="how many answers (default 5)")
    p.add_argument("--json", action="store_true", help="print the hits as a JSON list")
    return p


def main(argv: list[str]) -> int:
    """Run ``faqkb search ARGS``; 0 found, 1 nothing found, 2 bad usage or content."""
    args = _parser().parse_args(argv)
    if args.n < 1:
        print("faqkb search: -n must be at least 1", file=sys.stderr)
        return 2
    from faqkb.problems import ContentError, FaqkbError
    from faqkb.project import Project

    try:
        project = Project.discover()
        index = ensure_index(project.faq_dir, project.snippets_dir, project.cache_dir)
    except ContentError as exc:
        print(f"faqkb search: cannot index {project.faq_dir}:\n{exc}", file=sys.stderr)
        return 2
    except (FaqkbError, OSError, sqlite3.Error) as exc:
        print(f"faqkb search: {exc}", file=sys.stderr)
        return 2
    hits = search(index, " ".join(args.query), args.n)
    if args.json:
        print(json.dumps([asdict(h) for h in hits], indent=1, ensure_ascii=False))
    elif not hits:
        print("No entry matches; try fewer or other words, or the error's reason text.",
              file=sys.stderr)
    else:
        for i, h in enumerate(hits, 1):
            print(f"{i}. {h.question}\n   {h.section} · faqkb show {h.id}\n   {h.snippet}\n")
    return 0 if hits else 1
