"""Markdown and output text for pages: escaping, fences, clipping (keys are redacted by the
runner, :mod:`faqkb.run.redact`, before any output becomes a result)."""

from __future__ import annotations

import re

from faqkb._util import printable

MAX_OUTPUT_LINES = 60
MAX_LINE_CHARS = 2000
#: Output longer than this many lines is folded on the page (:func:`excerpt`).
FOLD_AT = 15
#: The first lines a folded output keeps in view (and the lines its expectations matched).
FOLD_HEAD = 8
# Characters Markdown (with attr_list and tables) would act on inside a line of plain text.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|{}])")
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Outside code: an HTML tag, comment or declaration (autolinks such as <https://...> are Markdown).
_RAW_HTML = re.compile(r"<(?=[A-Za-z/!?])(?!(?:https?|ftp|mailto):)(?![^<>\s@]+@[^<>\s]+>)")
_UNSAFE_LINK = re.compile(r"(\]\(\s*<?|^\s{0,3}\[[^\]]+\]:\s*<?)(?:javascript|vbscript|data):",
                          re.IGNORECASE | re.MULTILINE)
# Code is left as written: fenced blocks, and code spans (which may wrap, but not across a
# blank line), each closed by a run of the same length as the one that opened it.
_CODE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^[ \t]*(?P=fence)[ \t]*$"
                   r"|(?P<ticks>`+)(?:(?!(?P=ticks)|\n[ \t]*\n).)+?(?P=ticks)",
                   re.DOTALL | re.MULTILINE)


def clip(text: str, limit: int = MAX_OUTPUT_LINES, width: int = MAX_LINE_CHARS) -> str:
    """Keep the first ``limit`` lines of long output, and the first ``width`` characters of a
    long line, saying how much was left out. (The page's highlighter takes time quadratic in
    a line's length: a 1 MiB line would hold a build up for an hour.)"""
    lines = [ln if len(ln) <= width else f"{ln[:width]} [... {len(ln) - width} more characters]"
             for ln in text.rstrip("\n").split("\n")]
    if len(lines) <= limit:
        return "\n".join(lines)
    keep = [*lines[: limit - 5], f"[... {len(lines) - limit} lines omitted ...]", *lines[-5:]]
    return "\n".join(keep)


def excerpt(text: str, keep: set[int], head: int = FOLD_HEAD, most: int = FOLD_AT) -> tuple[str, int]:
    """The lines of ``text`` a folded block shows: the first ``head``, then the line indexes in
    ``keep`` (at most ``most`` lines in all), each run of left-out lines replaced by one
    ``[... N lines ...]`` line. Returns the excerpt and how many lines it leaves out."""
    lines = text.split("\n")
    shown = sorted({*range(min(head, len(lines))), *(i for i in keep if 0 <= i < len(lines))})[:most]
    out: list[str] = []
    prev = -1
    for i in shown:
        if i > prev + 1:
            out.append(f"[... {i - prev - 1} lines ...]")
        out.append(lines[i])
        prev = i
    if prev < len(lines) - 1:
        out.append(f"[... {len(lines) - 1 - prev} lines ...]")
    return "\n".join(out), len(lines) - len(shown)


def md_inline(text: str) -> str:
    """Escape plain text so Markdown shows it literally, on one line: markup characters are
    backslash-escaped, HTML's as entities, braces too (so attr_list keeps the heading's own
    ``{ #id }``), and control characters made visible."""
    one_line = printable(" ".join(text.split()))
    escaped = "".join(_HTML_SPECIAL.get(ch, ch) for ch in one_line)
    return _MD_SPECIAL.sub(r"\\\1", escaped)


def safe_markdown(text: str) -> str:
    """Markdown written by entry authors, made safe to publish: raw HTML tags outside code
    are shown as text, and ``javascript:``/``vbscript:``/``data:`` links lose their target.

    Code (fenced blocks and code spans) is left exactly as written; Markdown's own
    autolinks (``<https://...>``) stay links.
    """
    out, last = [], 0
    for m in _CODE.finditer(text):
        out.append(_safe_prose(text[last:m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(_safe_prose(text[last:]))
    return "".join(out)


def _safe_prose(text: str) -> str:
    # about:blank, not a #fragment: a link to an anchor no page has would fail a strict build,
    # whose link checks (the MkDocs plugin's) skip URLs with a scheme.
    text = _UNSAFE_LINK.sub(lambda m: m.group(1) + "about:blank#unsafe-link-removed:", text)
    return _RAW_HTML.sub("&lt;", text)


def yaml_str(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (for front matter)."""
    text = str(text)  # escaped Markup would escape the quotes added here too
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fence(*texts: str) -> str:
    """A backtick fence longer than any fence inside ``texts``, so none of them ends it."""
    longest = max((len(m) for t in texts for m in re.findall(r"`{3,}|~{3,}", t)), default=0)
    return "`" * max(3, longest + 1)


# Markdown an answer's prose uses, reduced to its words (plain_text): links keep their text,
# code spans their code, emphasis and raw HTML tags go.
_FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,})[^\n]*\n.*?^[ \t]*\1[ \t]*$\n?", re.DOTALL | re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# A code span keeps its code (tags in it are text); outside one, an HTML tag goes.
_TICKS_OR_TAG = re.compile(r"(`+)(.+?)\1|<[^>\s][^>]*>", re.DOTALL)
_EMPHASIS = re.compile(r"(\*\*|__|\*|(?<![\w])_(?=\S))(.+?)\1")
#: A sentence ends at . ! or ? followed by a space and what starts a new one (not "e.g. a").
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(`])")
#: The longest description a page gets (search engines show about 160 characters).
MAX_DESCRIPTION = 300
#: A first sentence shorter than this is followed by the next one.
SHORT_SENTENCE = 40


def plain_text(md: str) -> str:
    """The words of Markdown prose on one line: no code blocks, links as their text, code
    spans as their code, no emphasis marks or HTML tags, whitespace collapsed."""
    text = _FENCED.sub("\n\n", md)
    text = _LINK.sub(r"\1", text)
    text = re.sub(r"^\s{0,3}(?:[-*+]|\d+[.)]|#{1,6}|>)\s+", "", text, flags=re.MULTILINE)
    code: list[str] = []

    def hold(m: re.Match[str]) -> str:  # emphasis marks inside code are code
        if m.group(1) is None:
            return ""
        code.append(m.group(2).strip())
        return f"\0{len(code) - 1}\0"

    text = _EMPHASIS.sub(r"\2", _TICKS_OR_TAG.sub(hold, text))
    text = re.sub("\0(\\d+)\0", lambda m: code[int(m.group(1))], text)
    return printable(" ".join(text.split()))


def first_sentence(md: str, most: int = MAX_DESCRIPTION) -> str:
    """The first sentence of Markdown prose as plain text (a page's description, a question's
    one-line summary), at most ``most`` characters."""
    first_paragraph = next((p for p in re.split(r"\n[ \t]*\n", _FENCED.sub("\n\n", md)) if p.strip()), "")
    text = plain_text(first_paragraph)
    # A one-word answer ("Yes.") says little in a list of questions: the next sentence too.
    sentences = _SENTENCE_END.split(text)
    sentence = sentences[0]
    for more in sentences[1:]:
        # Not a fragment a block cuts off ("The line" before a code block): a whole sentence,
        # or one that introduces what follows.
        if len(sentence) >= SHORT_SENTENCE or not more.rstrip().endswith((".", "!", "?", ":")):
            break
        sentence += " " + more
    if sentence.endswith(":"):  # it introduces a block the summary does not show
        sentence = sentence[:-1].rstrip() + "…"
    if len(sentence) > most:
        sentence = sentence[: most - 1].rsplit(" ", 1)[0] + "…"
    return sentence
