"""Plain-words explanations of the YAML mistakes people make by hand.

The parser's own text ("found character that cannot start any token", "mapping values are
not allowed in this context") names the symptom; an author needs the cause and the fix.
Each rule looks at the source line the parser stopped on and, when it recognises the
mistake, gives a better position and message. Nothing here changes what is accepted.
"""

from __future__ import annotations

import re

#: ``key:`` (or ``- key:``) at the start of a line, and where its value starts.
_KEY = re.compile(r"^[ \t]*(?:-[ \t]+)?([A-Za-z_][\w-]*)[ \t]*:[ \t]+(?=\S)")
#: A value (after ``key:`` or ``-``) starting with ``{{``: a template placeholder YAML takes
#: for a flow mapping.
_BRACES = re.compile(r"(?:^|:[ \t]+|^[ \t]*-[ \t]+)(\{\{)")
_BRACES_FIX = ("a value starting with {{ is read as a YAML flow mapping ({key: value}), not as "
               "text; quote the value (\"{{ ... }}\")")


def _line(text: str, line: int) -> str:
    lines = text.split("\n")
    return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


def _quote_fix(key: str | None) -> str:
    if key is None:
        return "quote the value ('...' or \"...\")"
    return f"quote the value, or use a block scalar `{key}: |`"


def _key_of(line: str) -> str | None:
    m = _KEY.match(line)
    return m.group(1) if m else None


def _leading_tab(line: str) -> int | None:
    """The 1-based column of a tab in the line's indentation, if any."""
    indent = len(line) - len(line.lstrip(" \t-"))
    tab = line.find("\t", 0, indent + 1)
    return tab + 1 if tab >= 0 else None


def _unclosed_quote(text: str, first: int, last: int) -> tuple[int, int] | None:
    """The first line in ``first..last`` whose value opens a quote it does not close (the
    quoted text then runs on into the lines below until a quote ends it by accident)."""
    for n in range(first, last + 1):
        line = _line(text, n)
        m = _KEY.match(line) or re.match(r"^[ \t]*-[ \t]+(?=\S)", line)
        if m is None or line[m.end():m.end() + 1] not in ("'", '"'):
            continue
        quote, rest = line[m.end()], line[m.end() + 1:]
        closing = r'(?<!\\)"' if quote == '"' else r"'(?!')"
        if not re.search(closing, rest.replace("''", "") if quote == "'" else rest):
            return n, m.end() + 1
    return None


def _unclosed_message(text: str, opened: tuple[int, int]) -> str:
    line = _line(text, opened[0])
    quote = line[opened[1] - 1: opened[1]] or '"'
    extra = " (inside '...' an apostrophe is written '')" if quote == "'" else ""
    return (f"the quote {quote} that starts here is never closed; close it{extra}, or use a block "
            f"scalar `{_key_of(line) or 'key'}: |` for text over several lines")


def syntax_hint(text: str, problem: str, context: str, at: tuple[int, int],
                opened: tuple[int, int] | None) -> tuple[tuple[int, int], str] | None:
    """A better (position, message) for a YAML syntax error, or None to keep the parser's.

    ``problem`` and ``context`` are the parser's words, ``at`` where it stopped and
    ``opened`` where the construct it was reading started (both 1-based line, column).
    """
    lines = [at[0]] + ([opened[0]] if opened and opened[0] != at[0] else [])
    for n in lines:
        col = _leading_tab(_line(text, n))
        if col is not None:
            return (n, col), "a tab indents this line; YAML forbids tabs for indentation; use spaces"
    src = _line(text, at[0])
    key = _key_of(src)
    for n in lines:
        m = _BRACES.search(_line(text, n))
        if m:
            return (n, m.start(1) + 1), _BRACES_FIX
    if "quoted scalar" in context and opened is not None:
        return opened, _unclosed_message(text, opened)
    char = src[at[1] - 1: at[1]]
    if "cannot start any token" in problem and char in ("@", "`"):
        return at, (f"a plain value cannot start with {char} (YAML reserves it); "
                    f"{_quote_fix(_key_of(src))}")
    if problem.startswith("mapping values are not allowed"):
        return at, (f"mapping values are not allowed here: the value of {key!r} holds ': ', which "
                    f"YAML reads as the start of a mapping; {_quote_fix(key)}"
                    if key else "mapping values are not allowed here: ': ' inside a value starts a "
                    f"mapping; {_quote_fix(None)}")
    before = src[: at[1] - 1].rstrip()
    if "expected key" in problem and key and before.endswith(("'", '"')):
        tip = " (inside '...' an apostrophe is written '')" if before[-1] == "'" else ""
        return at, f"text after the closing quote {before[-1]} of {key!r}; quote the whole value{tip}"
    if "expected" in problem:  # a quote left open swallowed the lines up to the next quote
        start = _unclosed_quote(text, opened[0] if opened else 1, at[0] - 1)
        if start is not None:
            return start, _unclosed_message(text, start)
    return None


def key_hint(text: str, at: tuple[int, int]) -> str | None:
    """Why a mapping key is not a plain string, when it is a ``{{ ... }}`` value misread."""
    return _BRACES_FIX if _BRACES.search(_line(text, at[0])) else None
