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
unrelated issues (feature requests, other tools' errors): of the 16 the search puts right,
14 scored 0.8 or more (two 0.59 and 0.65), and no unrelated one scored more than 0.59. The
title and the whole text are judged apart: the whole text counts when it is good (a pasted
error line names the problem better than most titles), else the title, so a long body does
not dilute a title that names the error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from faqkb.search.query import Hit, search, terms

#: The strength at or above which the best hit answers the issue (see the module's doc).
THRESHOLD = 0.7
#: And the least number of the text's words some entry has: one common word is no answer.
MIN_WORDS = 2
#: Others are listed beside the best one while they score at least this share of it.
RUNNERS_UP = 0.6


@dataclass(frozen=True)
class Suggestion:
    """The entries that answer a text, best first, and how strongly the best one does."""

    hits: list[Hit]
    strength: float
    #: How many of the text's words some entry has.
    known: int = 0

    @property
    def good(self) -> bool:
        """True when the best entry answers the text well enough to post."""
        return bool(self.hits) and self.strength >= THRESHOLD and self.known >= MIN_WORDS


def _judge(index: Path, text: str, limit: int) -> Suggestion:
    words = terms(text)
    hits = search(index, text, limit)
    if not words or not hits:
        return Suggestion([], 0.0)
    own = [_alone(index, w) for w in words]
    reachable = sum(own)
    known = sum(1 for s in own if s > 0)
    strength = (hits[0].score / reachable) * known / len(words) if reachable else 0.0
    best = hits[0].score
    return Suggestion([h for h in hits if h.score >= RUNNERS_UP * best], round(strength, 3), known)


def _alone(index: Path, word: str) -> float:
    found = search(index, word, 1)
    return found[0].score if found else 0.0


def suggest(index: Path, title: str, body: str = "", limit: int = 3) -> Suggestion:
    """The entries of ``index`` that answer an issue (see the module's doc for which of its
    title and its whole text decides)."""
    alone = _judge(index, title, limit)
    if not body.strip():
        return alone
    whole = _judge(index, f"{title}\n{body}", limit)
    # The whole text, when it is good: a body's error line names the problem better than a
    # title such as "Apache fails to start"; else the title, which a long body cannot dilute.
    return whole if whole.good or not alone.good else alone


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
