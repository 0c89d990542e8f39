"""`faqkb search`: offline lookup in a terminal, no network and no built site needed.

This is the query side, kept light: it imports sqlite3 and little else, so a lookup
answers in tens of milliseconds. The index (:mod:`faqkb.search.index`) is built from the
entries and the outputs their commands really produced, and rebuilt only when an entry
or a verification result changed since.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import sqlite3
from pathlib import Path

from faqkb.search import codes, vectors
from faqkb.search.schema import STRONG_COLUMNS, WEIGHTS

_CANDIDATES = 40  # bm25's best, re-ranked by coverage
_GAP = 2  # words between two query words that still count as side by side
#: What a query word found in people's own words (STRONG_COLUMNS) adds again, times its idf.
STRENGTH = 1.0
#: What two query words side by side in people's own words add, as a share of their idf.
PROXIMITY = 2.0
#: What meaning adds: the query's cosine with the entry's nearest way of asking it, times
#: this, beside the entry's share of the best word coverage (at most 1). Measured with
#: bench/search_eval.py (top-1 flat from 3 to 5 on real and held-out-style queries).
SEMANTIC = 4.0
#: How many of the word ranking's best entries meaning re-ranks: measured, it changes no
#: answer from 12 to 40 (the right entry is that high when it is anywhere), and bounds the
#: cost (plain-Python cosines) whatever the size of the FAQ.
RERANK = 16
#: A runner-up with less than this share of the best entry's word coverage, and a cosine at
#: least WEAK_GAP below the best's, matched only common words: it is left out, not listed
#: to fill the list. Measured on the 182 queries of bench/search_eval.py: it drops 124 of
#: 687 wrong runners-up and none of the 37 right ones.
WEAK_SHARE = 0.2
WEAK_GAP = 0.15
_WORD = re.compile(r"[A-Za-z0-9_]+")
_AH = re.compile(r"\bAH\d{5}\b", re.IGNORECASE)
# Words that say nothing about which entry is meant; the question words carry no signal.
STOPWORDS = frozenset("""
a an and are as at be but by can could do does doing for from get gets getting got has have
how i if in into is it its me my no of on or our should so than that the their them then
there these this to use using was we what when where which who why will with would you your
""".split())


class Hit:
    """One matching entry.

    A plain class with slots: a dataclass would load :mod:`inspect` on every lookup.
    """

    __slots__ = ("answer", "id", "question", "refs", "score", "section", "snippet", "url")

    def __init__(self, id: str, question: str, section: str, score: float, snippet: str,
                 refs: tuple[str, ...] = (), url: str | None = None, answer: str = "") -> None:
        self.id = id
        self.question = question
        self.section = section
        self.score = score
        self.snippet = snippet
        #: The original FAQ's anchors the entry answers (its ``legacy`` refs).
        self.refs = refs
        #: The entry's page on the published site; None when the site's ``site_url`` is unknown.
        self.url = url
        #: The entry's answer (Markdown), for the terminal's first lines.
        self.answer = answer

    def __repr__(self) -> str:
        return f"Hit({self.id!r}, score={self.score!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hit) and all(getattr(self, k) == getattr(other, k)
                                              for k in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.id, self.score))


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


# The SQL, built apart from running it, so each query can be read and tested on its own.
def candidates_sql(weights: dict[str, float]) -> str:
    """bm25's best entries, with these column weights (in :data:`WEIGHTS`' order)."""
    return ("SELECT entries.rowid, bm25(entries, " + ", ".join(str(weights[c]) for c in WEIGHTS) + ") "
            "FROM entries WHERE entries MATCH ? ORDER BY 2 LIMIT ?")


CANDIDATES_SQL = candidates_sql(WEIGHTS)
MATCHING_SQL = "SELECT rowid FROM entries WHERE entries MATCH ?"
TOTAL_SQL = "SELECT count(*) FROM meta"
META_SQL = "SELECT entry, question, section, refs, url, answer FROM meta WHERE rid = ?"
WORDS_SQL = "SELECT text FROM words WHERE word = ?"
SNIPPET_SQL = ("SELECT snippet(entries, -1, '[', ']', '…', 12) FROM entries "
               "WHERE entries MATCH ? AND rowid = ?")


def word_terms(words: list[str]) -> list[str]:
    """One FTS5 term per word; the last may be unfinished, so it matches as a prefix."""
    return [fts_query([w]) if i == len(words) - 1 else f'"{w}"' for i, w in enumerate(words)]


def strong_term(term: str) -> str:
    """``term`` restricted to the columns that hold people's own words."""
    return "{" + " ".join(STRONG_COLUMNS) + "} : (" + term + ")"


def idf(total: int, matching: int) -> float:
    """How rare a word is among ``total`` entries when ``matching`` of them contain it (BM25's idf)."""
    return math.log((total - matching + 0.5) / (matching + 0.5) + 1)


def expand(db: sqlite3.Connection, query: str) -> list[str]:
    """The words to search for: the query's own, each OpenSSL code's library + reason word
    (the same for 1.x and 3.x codes), and the text of each code the index knows (a pasted
    bare ``error:0A00010B`` or ``AH02578`` also finds entries that only name the reason)."""
    found = codes.code_words(query)
    texts = []
    for word in [*found, *(m.lower() for m in _AH.findall(query))]:
        with contextlib.suppress(sqlite3.Error):  # an index made before the tables existed
            row = db.execute(WORDS_SQL, (word,)).fetchone()
            if row:
                texts.append(row[0])
    return terms(" ".join([query, *found, *texts]))


SPELLING_SQL = "SELECT word FROM spelling WHERE spelling MATCH ? ORDER BY rank LIMIT 60"
SHORT_SQL = "SELECT word FROM spelling WHERE word GLOB ? AND length(word) BETWEEN ? AND ?"


def distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        prev2, prev = prev, cur
    return prev[-1]


def corrections(db: sqlite3.Connection, word: str) -> list[str]:
    """The indexed words closest to ``word``, which the index does not hold (a typo):
    one edit away for words up to 7 letters, two for longer; the same first letter (people
    rarely mistype it, and it keeps short words from turning into others). Empty if none."""
    if len(word) < 4 or not word.isalpha():
        return []
    allowed = 1 if len(word) < 8 else 2
    grams = " OR ".join(dict.fromkeys(f'"{word[i:i + 3]}"' for i in range(len(word) - 2)))
    try:
        rows = [r[0] for r in db.execute(SPELLING_SQL, (grams,))]
    except sqlite3.Error:  # an index made before the spelling table existed
        return []
    if len(word) <= 6:
        # A short word shares few letter triples with its typo ("chian", "chain": none), so
        # the words of its first letter and length are read too (a scan, for typos only).
        with contextlib.suppress(sqlite3.Error):
            rows += [r[0] for r in db.execute(SHORT_SQL, (word[0] + "*", len(word) - 1, len(word) + 1))]
    near = {w: distance(word, w) for w in rows
            if w[0] == word[0] and abs(len(w) - len(word)) <= allowed}
    best = min(near.values(), default=allowed + 1)
    return sorted(w for w, d in near.items() if d == best <= allowed)[:3]


def halves(db: sqlite3.Connection, word: str) -> list[str]:
    """Two indexed words that ``word``, which the index does not hold, is written of
    ("capath": "ca" and "path"), the most even split first tried; empty if none."""
    if len(word) < 5 or not word.isalpha():
        return []
    for i in sorted(range(2, len(word) - 1), key=lambda i: abs(len(word) - 2 * i)):
        parts = [word[:i], word[i:]]
        if all(db.execute(MATCHING_SQL + " LIMIT 1", (f'"{p}"',)).fetchone() for p in parts):
            return parts
    return []


def rank(bm25: dict[int, float], coverage: dict[int, float], limit: int) -> list[int]:
    """Row ids, best first: coverage decides, bm25 (scaled to at most 0.5) breaks ties."""
    best = max(bm25.values()) or 1.0
    return sorted(coverage, key=lambda rid: coverage[rid] + 0.5 * bm25[rid] / best,
                  reverse=True)[:limit]


def fuse(lexical: list[int], coverage: dict[int, float], cosine: dict[int, float],
         semantic: float) -> tuple[list[int], dict[int, float]]:
    """The ``lexical`` order's head (the rows in ``cosine``) re-ranked, and the scores:
    each entry's share of the best coverage plus ``semantic`` times its cosine; the rest
    keep their places after it, with their share. Weak runners-up (:data:`WEAK_SHARE`)
    are left out."""
    top = max(coverage.values()) or 1.0
    score = {rid: coverage[rid] / top + semantic * cosine.get(rid, 0.0) for rid in lexical}
    head = sorted((rid for rid in lexical if rid in cosine), key=lambda rid: score[rid], reverse=True)
    order = head + [rid for rid in lexical if rid not in cosine]
    best = cosine.get(order[0], 0.0)
    return [order[0], *(rid for rid in order[1:] if coverage[rid] / top >= WEAK_SHARE
                        or cosine.get(rid, -1.0) > best - WEAK_GAP)], score


def search(index: Path, query: str, limit: int = 5, *, typos: bool = True,
           weights: dict[str, float] | None = None, proximity: float = PROXIMITY,
           strength: float = STRENGTH, semantic: float = SEMANTIC) -> list[Hit]:
    """The best ``limit`` entries for ``query``, best first (empty when nothing matches).

    bm25 over an OR of the words lets one rare word outweigh the rest of a question, so
    candidates are re-ranked by coverage: every query word an entry contains adds that
    word's idf, and ``strength`` times it again when it is in the question, aliases or old
    question (where people's own words are); two query words side by side there add
    ``proximity`` times their mean idf; bm25 only breaks ties. A word no entry holds is read
    as two indexed words run together (:func:`halves`) or the closest indexed words
    (:func:`corrections`), unless ``typos`` is False. Then meaning re-ranks the candidates
    (:func:`fuse`, :mod:`faqkb.search.vectors`), when the index has vectors and
    ``semantic`` is not 0; scores are then on that scale. ``weights`` replaces the columns'
    bm25 weights; these keywords are for ``bench/search_eval.py``'s ablation and sweep.
    """
    if not terms(query):
        return []
    with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
        words = expand(db, query)
        found: dict[str, set[int]] = {}  # FTS5 term -> the rows holding it
        for term in word_terms(words):
            found[term] = {r[0] for r in db.execute(MATCHING_SQL, (term,))}
            if not found[term] and typos:
                word = term.strip('"*')
                for fixed in halves(db, word) or corrections(db, word):
                    found[f'"{fixed}"'] = {r[0] for r in db.execute(MATCHING_SQL, (f'"{fixed}"',))}
        found = {term: rows for term, rows in found.items() if rows}
        if not found:
            return []
        match = " OR ".join(found)
        total = db.execute(TOTAL_SQL).fetchone()[0] or 1
        sql = CANDIDATES_SQL if weights is None else candidates_sql(weights)
        rows = db.execute(sql, (match, _CANDIDATES)).fetchall()
        bm25 = {rid: -score for rid, score in rows}
        coverage = dict.fromkeys(bm25, 0.0)
        for term, anywhere in found.items():
            strong = {r[0] for r in db.execute(MATCHING_SQL, (strong_term(term),))}
            weight = idf(total, len(anywhere))
            for rid in coverage:
                coverage[rid] += weight * ((rid in anywhere) + strength * (rid in strong))
        # Proximity: two of the query's words side by side (a stopword or two apart) in an
        # entry's question, aliases or old question, as the reader wrote them, count again.
        plain = [t for t in found if t.startswith('"') and t.endswith('"')]
        for a, b in itertools.pairwise(plain):
            near = {r[0] for r in db.execute(MATCHING_SQL, (strong_term(f"NEAR({a} {b}, {_GAP})"),))}
            weight = proximity * (idf(total, len(found[a])) + idf(total, len(found[b]))) / 2
            for rid in near & coverage.keys():
                coverage[rid] += weight
        qv = vectors.query_vector(db, query) if semantic else None
        if qv is not None:
            lexical = rank(bm25, coverage, max(limit, RERANK))
            cosine = vectors.similarities(db, qv, lexical[:RERANK])
            order, coverage = fuse(lexical, coverage, cosine, semantic)
            order = order[:limit]
        else:
            order = rank(bm25, coverage, limit)
        out = []
        for rid in order:
            entry, question, section, refs, url, answer = db.execute(META_SQL, (rid,)).fetchone()
            snip = db.execute(SNIPPET_SQL, (match, rid)).fetchone()[0]
            out.append(Hit(entry, question, section, round(coverage[rid], 3), " ".join(snip.split()),
                           tuple(json.loads(refs)), url, answer))
    return out
