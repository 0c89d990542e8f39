"""Markdown and output text for pages: escaping, fences, clipping (keys are redacted by the
runner, :mod:`faqkb.run.redact`, before any output becomes a result)."""

from __future__ import annotations

import re

MAX_OUTPUT_LINES = 60
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def clip(text: str, limit: int = MAX_OUTPUT_LINES) -> str:
    """Keep the first ``limit`` lines of long output, saying how much was left out."""
    lines = text.rstrip("\n").split("\n")
    if len(lines) <= limit:
        return "\n".join(lines)
    keep = [*lines[: limit - 5], f"[... {len(lines) - limit} lines omitted ...]", *lines[-5:]]
    return "\n".join(keep)


def md_inline(text: str) -> str:
    """Escape text so Markdown shows it literally on one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def yaml_str(text: str) -> str:
    """``text`` as a double-quoted YAML scalar (for front matter)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fence(*texts: str) -> str:
    """A backtick fence longer than any fence inside ``texts``, so none of them ends it."""
    longest = max((len(m) for t in texts for m in re.findall(r"`{3,}|~{3,}", t)), default=0)
    return "`" * max(3, longest + 1)
