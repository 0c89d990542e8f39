"""Search quality on real user queries: top-1 and top-3 against the expected FAQ anchors,
for faqkb's search and, on the same content, lunr (the engine of Material's site search)
and plain SQLite FTS5 bm25, in one run.

`../shared/eval/dev-queries.jsonl` lists queries with the original FAQ anchors that answer
them (best first). A hit counts when the entry carries one of those anchors in `legacy`.
`bench/data/clean-room-queries.jsonl` holds 162 more in the same format (and a `style`):
issue titles, pasted error lines, questions, how-tos and vague ones, written from the old
FAQs' questions alone by someone who had seen neither the entries, nor their aliases, nor
the real queries; a second check that a change generalizes.
Run: `.venv/bin/python bench/search_eval.py [QUERIES.jsonl] [-v] [--sweep]` (after `faqkb verify`, so
the verified output is indexed; the script says so when it is not).
"""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faqkb.load.loader import load_kb  # noqa: E402
from faqkb.project import Project  # noqa: E402
from faqkb.search.index import build_index, ensure_index, load_results  # noqa: E402
from faqkb.search.locate import file_notes, info  # noqa: E402
from faqkb.search.query import search  # noqa: E402
from faqkb.search.schema import WEIGHTS  # noqa: E402

DEFAULT = REPO.parent / "shared" / "eval" / "dev-queries.jsonl"
Engine = Callable[[str], list[str]]


def _docs(index: Path) -> dict[str, str]:
    """Every entry's indexed text (the same content for every engine)."""
    with contextlib.closing(sqlite3.connect(index)) as db:
        cols = [r[1] for r in db.execute("PRAGMA table_info(entries)")]
        rows = db.execute(f"SELECT meta.entry, {', '.join('entries.' + c for c in cols)} FROM entries "
                          "JOIN meta ON meta.rid = entries.rowid").fetchall()
    return {r[0]: "\n".join(x or "" for x in r[1:]) for r in rows}


def lunr_engine(docs: dict[str, str]) -> Engine:
    from lunr import lunr

    idx = lunr(ref="id", fields=["text"], documents=[{"id": k, "text": v} for k, v in docs.items()])

    def run(q: str) -> list[str]:
        words = re.findall(r"[A-Za-z0-9]+", q)  # lunr's query syntax: plain words
        with contextlib.suppress(Exception):
            return [r["ref"] for r in idx.search(" ".join(words))]
        return []

    return run


def fts5_engine(docs: dict[str, str]) -> Engine:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE d USING fts5(id UNINDEXED, text)")
    db.executemany("INSERT INTO d VALUES (?, ?)", docs.items())

    def run(q: str) -> list[str]:
        words = re.findall(r"[A-Za-z0-9]+", q)
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        sql = "SELECT id FROM d WHERE d MATCH ? ORDER BY bm25(d) LIMIT 3"
        return [r[0] for r in db.execute(sql, (match,))]

    return run


def score(engine: Engine, queries: list[dict], refs: dict[str, set[str]], name: str,
          verbose: bool) -> tuple[int, int]:
    top1 = top3 = 0
    for q in queries:
        hits = engine(q["query"])[:3]
        good = [i for i, h in enumerate(hits) if refs.get(h, set()) & set(q["answers"])]
        top1 += bool(good and good[0] == 0)
        top3 += bool(good)
        if verbose and (not good or good[0] != 0):
            what = "miss" if not good else "top3"
            print(f"  {name} {what}: {q['query'][:60]!r} -> {hits} want {q['answers']}")
    return top1, top3


def main() -> int:
    args = [a for a in sys.argv[1:] if a not in ("-v", "--sweep")]
    verbose = "-v" in sys.argv
    path = Path(args[0]) if args else DEFAULT
    if not path.is_file():
        print(f"search_eval: no query file at {path}", file=sys.stderr)
        # The real queries live beside the checkout, not in it: a machine without them still
        # runs the rest of `make bench` (the clean-room set is in bench/data/).
        return 0 if not args else 2
    project = Project.discover(REPO)
    kb = load_kb(project.faq_dir, project.snippets_dir)
    refs = {e.id: {leg.ref for leg in e.legacy} | {e.id} for e in kb.entries.values()}
    index = ensure_index(project.faq_dir, project.snippets_dir, project.cache_dir)
    for note in file_notes(index, info(index), "run `faqkb verify` first"):
        print(f"search_eval: note: {note}", file=sys.stderr)
    queries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    docs = _docs(index)
    # The ablation: the same index without stemming (FTS5's plain unicode61 tokenizer).
    tmp = Path(tempfile.mkdtemp(prefix="faqkb-eval-"))
    unstemmed = tmp / "unstemmed.sqlite"
    build_index(kb, load_results(project.cache_dir / "results"), unstemmed, "ablation",
                tokenize="unicode61 tokenchars '_'")
    engines: dict[str, Engine] = {
        "faqkb": lambda q: [h.id for h in search(index, q, 3)],
        "-typos": lambda q: [h.id for h in search(index, q, 3, typos=False)],
        "-stemming": lambda q: [h.id for h in search(unstemmed, q, 3)],
        "-proximity": lambda q: [h.id for h in search(index, q, 3, proximity=0.0)],
        "-semantic": lambda q: [h.id for h in search(index, q, 3, semantic=0.0)],
        "lunr": lunr_engine(docs),
        "fts5-bm25": fts5_engine(docs),
    }
    n = len(queries)
    print(f"{n} queries from {path.name}, {len(kb.entries)} entries "
          "(-typos, -stemming, -proximity, -semantic: faqkb without typo tolerance, the porter "
          "stemmer, the bonus for query words side by side, the re-ranking by meaning)")
    for name, engine in engines.items():
        top1, top3 = score(engine, queries, refs, name, verbose)
        print(f"{name:11} top-1 {top1}/{n} = {top1 / n:4.0%}   top-3 {top3}/{n} = {top3 / n:4.0%}")
    if "--sweep" in sys.argv:
        # Each column's bm25 weight scaled alone: a setting is worth keeping only if its
        # neighbours score alike (robust), not if one value wins by a query.
        print("weights sweep (top-1/top-3 with one column's weight times x):")
        for col in WEIGHTS:
            cells = []
            for x in (0.0, 0.25, 0.5, 1.0, 2.0, 4.0):
                w = dict(WEIGHTS, **{col: WEIGHTS[col] * x})
                top1, top3 = score(lambda q, w=w: [h.id for h in search(index, q, 3, weights=w)],
                                   queries, refs, col, False)
                cells.append(f"x{x:<4} {top1:2}/{top3:2}")
            print(f"  {col:9} " + "  ".join(cells))
        # The ranking's own knobs, each set alone to these values.
        for knob, values, note in (
                ("proximity", (0.0, 0.25, 0.5, 1.0, 2.0, 4.0), ""),
                ("strength", (0.0, 0.5, 1.0, 1.5, 2.0, 3.0), "  (own words counted again)"),
                ("semantic", (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 7.0),
                 "  (cosine's weight beside the words' share)")):
            cells = []
            for x in values:
                top1, top3 = score(lambda q, k=knob, x=x: [h.id for h in search(index, q, 3, **{k: x})],
                                   queries, refs, knob, False)
                cells.append(f"={x:<4} {top1:2}/{top3:2}")
            print(f"  {knob:9} " + "  ".join(cells) + note)
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
