"""`faqkb search`: the terminal lookup's command line (argparse, not click: a lookup must
answer in a blink, so this path loads neither click nor the build's tools)."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import asdict

from faqkb._util import printable
from faqkb.search.index import ensure_index
from faqkb.search.query import search


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
    from faqkb.errors import ContentError, FaqkbError
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
            # Printed as text, never obeyed: an alias may hold escape sequences.
            print(printable(f"{i}. {h.question}\n   {h.section} · faqkb show {h.id}\n   {h.snippet}\n"))
    return 0 if hits else 1
