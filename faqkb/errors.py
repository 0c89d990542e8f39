"""Errors meant for the user: problems in content (``path:line:col: message``) and the rest.

Each exception carries the exit status the command line gives it (click's habit), so every
integration maps it the same way: 2 for invalid content or bad usage, 1 for a failure.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

#: A check failed or nothing matched.
EXIT_FAILED = 1
#: Bad usage or invalid content.
EXIT_INVALID = 2


class Kind(enum.Enum):
    """What sort of problem, for code that treats some differently (never the message text)."""

    INVALID = "invalid"
    #: A ``see_also`` naming no entry (yet): it does not stop that entry's commands from running.
    SEE_ALSO = "see_also"
    #: A placeholder ``faqkb new`` wrote, not replaced yet: it fails lint and builds, but an
    #: author may still ``faqkb try`` the entry's commands before writing its answer.
    DRAFT = "draft"
    #: A recorded snapshot that no longer fits its command (`faqkb verify --update ID` fixes
    #: it), so like SEE_ALSO it does not stop that entry's commands from running.
    SNAPSHOT = "snapshot"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one file, at a 1-based line and column."""

    path: str
    line: int
    col: int
    message: str
    kind: Kind = field(default=Kind.INVALID, compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.message}"

    def with_kind(self, kind: Kind) -> Problem:
        """The same problem, marked as ``kind``."""
        return Problem(self.path, self.line, self.col, self.message, kind)


class FaqkbError(Exception):
    """An error meant for the user (bad usage, missing tool); printed without a traceback."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, exit_code: int | None = None) -> None:
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class ContentError(FaqkbError):
    """Raised when content is invalid; carries every problem found, not just the first."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
