"""``faqkb suggest``: the entries that already answer an issue, as a comment ready to post.

Matching is the offline search's (:func:`faqkb.search.query.search`, used as it is: its
scoring may change, this only reads the scores it gives). Whether the best hit answers the
issue *well* is judged on a scale that does not grow with the text's length:

- **reach**: the best hit's score over the sum of what each of the text's words scores on
  its own (its own best hit): 1.0 when one entry has every word that any entry has;
- times the share of the text's words that some entry has: an issue about things the FAQ
  never mentions (a browser's UI, Kubernetes) is weak even when its few common words match.

:data:`THRESHOLD` and :data:`MIN_WORDS` were measured on real issue titles (the
development queries of the mod_ssl FAQ, each with the entries that answer it) against
unrelated issues (feature requests, other tools' errors). Re-measured with 68 entries and
their aliases: 14 queries scored 0.75 or more, each with the right entry first, and no
unrelated one scored more than 0.71 ("configure nginx as a reverse proxy", which shares
its words with the reverse-proxy entries). The strength reads plain scores: the search's
typo tolerance and proximity bonus are off for it (not for the ranking; the re-ranking by
meaning is off for both, these figures being measured without it), so a word the FAQ
does not hold (``npm``, ``EACCES``) counts as unknown, not as the nearest word it has. The title and the
whole text are judged apart: the whole text counts when it is good (a pasted error line
names the problem better than most titles), else the error codes the body pastes (httpd's
``AH`` codes, OpenSSL's ``error:`` codes: names, so one the FAQ knows is enough), else the
title, so a long body does not dilute a title that names the error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faqkb.search.query import Hit, search, terms

#: The strength at or above which the best hit answers the issue (see the module's doc).
THRESHOLD = 0.75
#: And the least number of the text's words some entry has: one common word is no answer.
MIN_WORDS = 2
#: The strength reads plain scores (see the module's doc), on the scale it was measured on.
PLAIN: dict[str, Any] = {"typos": False, "proximity": 0.0, "semantic": 0.0}
#: Others are listed beside the best one while they score at least this share of it.
RUNNERS_UP = 0.6


@dataclass(frozen=True)
class Suggestion:
    """The entries that answer a text, best first, and how strongly the best one does."""

    hits: list[Hit]
    strength: float
    #: How many of the text's words some entry has.
    known: int = 0
    #: Judged on the error codes pasted in the issue alone: one code is a name, not a common
    #: word, so one the FAQ knows is enough.
    by_code: bool = False

    @property
    def good(self) -> bool:
        """True when the best entry answers the text well enough to post."""
        return bool(self.hits) and self.strength >= THRESHOLD and (self.known >= MIN_WORDS or self.by_code)


def _judge(index: Path, text: str, limit: int) -> Suggestion:
    words = terms(text)
    # The word ranking a reader gets from `faqkb search`, without its re-ranking by meaning:
    # RUNNERS_UP and the strength were measured on this scale.
    hits = search(index, text, limit, semantic=0.0)
    if not words or not hits:
        return Suggestion([], 0.0)
    own = [_alone(index, w) for w in words]
    reachable = sum(own)
    known = sum(1 for s in own if s > 0)
    plain = search(index, text, 1, **PLAIN)
    reach = plain[0].score / reachable if plain and reachable else 0.0
    strength = reach * known / len(words)
    best = hits[0].score
    return Suggestion([h for h in hits if h.score >= RUNNERS_UP * best], round(strength, 3), known)


def _alone(index: Path, word: str) -> float:
    found = search(index, word, 1, **PLAIN)
    return found[0].score if found else 0.0


#: An error code as people paste them: an httpd message code or an OpenSSL error code.
ERROR_CODE = re.compile(r"\bAH\d{5}\b|\berror:[0-9A-Fa-f]{8}\b")


def suggest(index: Path, title: str, body: str = "", limit: int = 3) -> Suggestion:
    """The entries of ``index`` that answer an issue (see the module's doc for which of its
    title and its whole text decides)."""
    alone = _judge(index, title, limit)
    if not body.strip():
        return alone
    whole = _judge(index, f"{title}\n{body}", limit)
    # The whole text, when it is good: a body's error line names the problem better than a
    # title such as "Apache fails to start"; else the error codes the body pastes (a long body
    # dilutes the strength, a code names the problem); else the title alone, which a long body
    # cannot dilute.
    if whole.good:
        return whole
    codes = list(dict.fromkeys(ERROR_CODE.findall(body)))
    if codes:
        named = _judge(index, " ".join(codes), limit)
        named = Suggestion(named.hits, named.strength, named.known, by_code=True)
        if named.good:
            return named
    return alone if alone.good else whole


def page_url(page: str, site_url: str | None, directory_urls: bool) -> str:
    """Where the site serves ``page`` (a docs-relative ``x/y.md#frag``): under ``site_url``
    when it is known, else the path relative to the site's root."""
    path, _, frag = page.partition("#")
    stem = path[: -len(".md")] if path.endswith(".md") else path
    if directory_urls:
        stem = "" if stem in ("index", "") else (stem[: -len("index")] if stem.endswith("/index")
                                                  else stem + "/")
    else:
        stem += ".html"
    url = (site_url.rstrip("/") + "/" if site_url else "") + stem
    return url + (f"#{frag}" if frag else "")


def _escape_md(text: str) -> str:
    """An entry's question as Markdown text: no link, emphasis or HTML it did not mean."""
    return "".join("\\" + ch if ch in "\\`*_[]<>#|~" else ch for ch in " ".join(text.split()))


def comment(found: Suggestion, urls: dict[str, str], site_known: bool) -> str:
    """The Markdown comment: one bullet per entry, linked where the site's URL is known."""
    lines = ["These FAQ entries may already answer this:", ""]
    for h in found.hits:
        question = _escape_md(h.question)
        shown = f"[{question}]({urls[h.id]})" if site_known else f"{question} (`{urls[h.id]}`)"
        lines.append(f"- {shown}")
    lines += ["", "<sub>Suggested by `faqkb suggest` from the FAQ's offline search; "
              "if none of these answers it, say so and we will look at it.</sub>", ""]
    return "\n".join(lines)
