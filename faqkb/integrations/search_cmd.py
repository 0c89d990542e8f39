"""`faqkb search` and `faqkb show`: offline lookup in a terminal, no network, no built site.

argparse, not click: a lookup must answer in a blink, so this path loads neither click nor
the build's tools; a plain ``faqkb search WORDS [--json] [-n N] [--index FILE]`` is read
without even argparse (:func:`quick_args`), which parses the rest (``--help``, mistakes).
Both read the index :func:`faqkb.search.locate.locate` picks (``--index
FILE``, ``$FAQKB_INDEX``, the project around the current folder, or the index an installed
faqkb ships), which holds everything they print.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import sys
from pathlib import Path

from faqkb._util import printable
from faqkb.search.locate import Located, locate
from faqkb.search.query import Hit, search
from faqkb.search.schema import INDEX_ENV

#: How many lines of the best hit's answer the terminal shows.
ANSWER_LINES = 4


#: typing.TYPE_CHECKING without importing typing (start-up time); mypy knows the name.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse


def _common(prog: str, description: str) -> argparse.ArgumentParser:
    import argparse  # not at the top: a plain lookup does without it (quick_args)

    p = argparse.ArgumentParser(prog=prog, description=description)
    p.add_argument("--index", metavar="FILE",
                   help=f"search this index (from `faqkb index --out FILE`) instead; also ${INDEX_ENV}")
    p.add_argument("--json", action="store_true", help="print JSON")
    return p


def _locate(index: str | None, prog: str) -> Located | None:
    try:
        located = locate(index, Path.cwd())
    except (OSError, sqlite3.Error) as exc:
        print(printable(f"{prog}: {exc}"), file=sys.stderr)
        return None
    except Exception as exc:
        # faqkb.errors only once something went wrong: it loads dataclasses (start-up time)
        from faqkb.errors import ContentError, FaqkbError

        if isinstance(exc, ContentError):
            print(f"{prog}: cannot index the knowledge base:\n{exc}", file=sys.stderr)
        elif isinstance(exc, FaqkbError):
            print(printable(f"{prog}: {exc}"), file=sys.stderr)
        else:
            raise
        return None
    for note in located.notes:
        print(printable(f"{prog}: note: {note}"), file=sys.stderr)
    return located


def hit_json(h: Hit) -> dict[str, object]:
    """One hit as ``--json`` prints it."""
    return {"id": h.id, "question": h.question, "section": h.section, "score": h.score,
            "refs": list(h.refs), "url": h.url, "snippet": h.snippet}


def _first_lines(markdown: str, n: int) -> list[str]:
    lines = [ln.rstrip() for ln in markdown.strip().splitlines()]
    shown = lines[:n]
    return shown + (["…"] if len(lines) > n else [])


def _bold(text: str) -> str:
    # Styled only on a terminal that allows colour; piped output stays plain text.
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb":
        return f"\x1b[1m{text}\x1b[0m"
    return text


def _parser() -> argparse.ArgumentParser:
    """The options of ``faqkb search``."""
    p = _common("faqkb search", "Find the entries that answer a question or an error line, "
                "offline. Paste the error as you saw it: OpenSSL codes (1.x or 3.x form), AH "
                "numbers and browser codes are indexed, with the output each verified command "
                "really produced. Or ask in your own words: the best matches are re-ranked by "
                "meaning, so a question need not use the entries' own words.")
    p.add_argument("query", nargs="+", help="words, a question, or a pasted error line")
    p.add_argument("-n", type=int, default=5, metavar="N",
                   help="at most this many answers (default 5); a runner-up that shares only a "
                        "common word with the query is left out")
    return p


class SearchArgs:
    """What ``faqkb search`` was asked (the attributes argparse gives :func:`_parser`'s options)."""

    __slots__ = ("index", "json", "n", "query")

    def __init__(self, query: list[str], n: int = 5, json: bool = False, index: str | None = None) -> None:
        self.query, self.n, self.json, self.index = query, n, json, index


def quick_args(argv: list[str]) -> SearchArgs | None:
    """``argv`` read as :func:`_parser` would, for the plain cases only (exact option names,
    the words in one run); None for anything else (``--help``, ``--js``, a word starting with
    ``-``, a mistake), which argparse then parses, with its messages."""
    words: list[str] = []
    n, as_json, index = 5, False, None
    ended = False  # the words come in one run, as nargs="+" takes them
    i = 0
    while i < len(argv):
        a = argv[i]
        if a.startswith("-"):
            ended = ended or bool(words)
            if a == "--json":
                as_json = True
            elif a.startswith("--index="):
                index = a.split("=", 1)[1]
            elif a in ("--index", "-n") and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
                i += 1
                if a == "-n":
                    if not argv[i].isdigit():
                        return None
                    n = int(argv[i])
                else:
                    index = argv[i]
            else:
                return None
        elif ended:
            return None
        else:
            words.append(a)
        i += 1
    return SearchArgs(words, n, as_json, index) if words else None


def main(argv: list[str]) -> int:
    """Run ``faqkb search ARGS``; 0 found, 1 nothing found, 2 bad usage or content."""
    args = quick_args(argv) or _parser().parse_args(argv)
    if args.n < 1:
        print("faqkb search: -n must be at least 1", file=sys.stderr)
        return 2
    located = _locate(args.index, "faqkb search")
    if located is None:
        return 2
    hits = search(located.path, " ".join(args.query), args.n)
    if args.json:
        print(json.dumps([hit_json(h) for h in hits], indent=1, ensure_ascii=False))
    elif not hits:
        print("No entry matches; try fewer or other words, the error's reason text, or "
              "`faqkb search --help`.", file=sys.stderr)
    else:
        for i, h in enumerate(hits, 1):
            where = " · ".join(filter(None, [h.section, f"faqkb show {h.id}", h.url]))
            # Printed as text, never obeyed: an alias may hold escape sequences.
            lines = [_bold(printable(f"{i}. {h.question}")), printable(f"   {where}"),
                     printable(f"   {h.snippet}")]
            if i == 1:
                lines += [printable(f"   | {ln}") for ln in _first_lines(h.answer, ANSWER_LINES)]
            print("\n".join(lines) + "\n")
    return 0 if hits else 1


def _show_parser() -> argparse.ArgumentParser:
    """The options of ``faqkb show``."""
    p = _common("faqkb show", "Print one entry: question, answer, and each command as a reader "
                "types it with the output it really printed when verified.")
    p.add_argument("entry_id", metavar="ID")
    return p


def show_main(argv: list[str]) -> int:
    """Run ``faqkb show ID``: the whole entry with its verified transcripts; 2 for no such entry."""
    args = _show_parser().parse_args(argv)
    located = _locate(args.index, "faqkb show")
    if located is None:
        return 2
    with contextlib.closing(sqlite3.connect(f"file:{located.path}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT question, show, doc FROM meta WHERE entry = ?", (args.entry_id,)).fetchone()
        known = [r[0] for r in db.execute("SELECT entry FROM meta")] if row is None else []
    if row is None:
        from faqkb._util import did_you_mean

        print(printable(f"faqkb: no entry {args.entry_id!r}; {did_you_mean(args.entry_id, known)} "
                        "(`faqkb search WORDS` finds one)"), file=sys.stderr)
        return 2
    question, text, doc = row
    if args.json:
        print(json.dumps(json.loads(doc), indent=2, ensure_ascii=False))
    else:
        print(_bold(printable(question)))
        print(printable(text))
    return 0
