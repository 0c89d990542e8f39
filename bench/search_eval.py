"""Search quality on real user queries: top-1 and top-3 against the expected FAQ anchors.

`../shared/eval/dev-queries.jsonl` lists queries with the original FAQ anchors that answer
them (best first). A hit counts when the entry carries one of those anchors in `legacy`.
Run: `.venv/bin/python bench/search_eval.py [QUERIES.jsonl] [-v]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faqkb.load.loader import load_kb  # noqa: E402
from faqkb.project import Project  # noqa: E402
from faqkb.search.index import ensure_index  # noqa: E402
from faqkb.search.query import search  # noqa: E402

DEFAULT = REPO.parent / "shared" / "eval" / "dev-queries.jsonl"


def main() -> int:
    args = [a for a in sys.argv[1:] if a != "-v"]
    verbose = "-v" in sys.argv
    path = Path(args[0]) if args else DEFAULT
    if not path.is_file():
        print(f"search_eval: no query file at {path}", file=sys.stderr)
        return 2
    project = Project.discover(REPO)
    kb = load_kb(project.faq_dir, project.snippets_dir)
    refs = {e.id: {leg.ref for leg in e.legacy} | {e.id} for e in kb.entries.values()}
    index = ensure_index(project.faq_dir, project.snippets_dir, project.cache_dir)
    queries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    top1 = top3 = 0
    for q in queries:
        hits = [h.id for h in search(index, q["query"], 3)]
        good = [i for i, h in enumerate(hits) if refs[h] & set(q["answers"])]
        top1 += bool(good and good[0] == 0)
        top3 += bool(good)
        if verbose and (not good or good[0] != 0):
            print(f"{'miss' if not good else 'top3'}: {q['query'][:70]!r} -> {hits} want {q['answers']}")
    n = len(queries)
    print(f"search: {n} queries, top-1 {top1}/{n} = {top1 / n:.0%}, top-3 {top3}/{n} = {top3 / n:.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
