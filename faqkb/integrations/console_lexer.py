"""A Pygments lexer for faqkb's console blocks: ``faqkb-console``.

Pygments' own ``console`` lexer takes a ``> `` line for a continuation only after a line that
ends in a backslash; any other ``> `` line is output. faqkb's pages prompt ``> `` wherever
bash would (inside a quoted string, a heredoc, ``$( )``, ``if ... fi``, after a trailing ``|``:
:func:`faqkb.run.shellwords.with_prompts`), so this lexer asks the same reader whether the
command so far is unfinished. A ``> `` line after a finished command (``curl -v``'s request
lines) stays output. Registered under the ``pygments.lexers`` entry point, so MkDocs'
highlighter finds it wherever faqkb is installed; pages use it only for blocks that need it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pygments.lexer import do_insertions, line_re
from pygments.lexers.shell import BashLexer, BashSessionLexer
from pygments.token import Generic, _TokenType

from faqkb.run.shellwords import PS2, scan


def unfinished(code: str) -> bool:
    """True when the line after ``code`` (which ends with a newline) continues its command."""
    return scan(code).continued[-1]


class FaqkbConsoleLexer(BashSessionLexer):
    """Bash sessions whose ``> `` continuation lines follow bash's own rules."""

    name = "faqkb console"
    aliases = ["faqkb-console"]  # noqa: RUF012 - Pygments' own class attributes
    filenames: list[str] = []  # noqa: RUF012
    mimetypes: list[str] = []  # noqa: RUF012

    def get_tokens_unprocessed(self, text: str) -> Iterator[tuple[int, _TokenType, str]]:
        """Prompts, the commands (lexed as bash, all lines of one command together), output."""
        inner = BashLexer(**self.options)
        pos, code = 0, ""
        insertions: list[tuple[int, list[tuple[int, Any, str]]]] = []
        for match in line_re.finditer(text):
            line = match.group()
            prompt = self._ps1rgx.match(line)
            if insertions and line.startswith(PS2) and unfinished(code):
                insertions.append((len(code), [(0, Generic.Prompt, PS2)]))
                code += line[len(PS2):]
            elif prompt:
                if not insertions:
                    pos = match.start()
                insertions.append((len(code), [(0, Generic.Prompt, prompt.group(1))]))
                code += prompt.group(2)
            else:
                if insertions:
                    for i, token, value in do_insertions(insertions, inner.get_tokens_unprocessed(code)):
                        yield pos + i, token, value
                yield match.start(), Generic.Output, line
                insertions, code = [], ""
        if insertions:
            for i, token, value in do_insertions(insertions, inner.get_tokens_unprocessed(code)):
                yield pos + i, token, value
