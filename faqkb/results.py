"""Verification results: what each command really did (plain data, JSON round-trippable)."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """How one command came out. A ``str``: records and the cache hold the plain word."""

    PASSED = "passed"
    FAILED = "failed"
    #: Passed in an earlier run whose inputs were all the same (reused from the cache).
    CACHED = "cached"
    #: Not run here (no apache2, interrupted): neither proven nor disproven.
    UNVERIFIED = "unverified"


PASSED, FAILED, CACHED, UNVERIFIED = Status.PASSED, Status.FAILED, Status.CACHED, Status.UNVERIFIED


@dataclass
class CommandResult:
    """The outcome of one command: its output as shown to readers and what failed, if anything."""

    index: int
    status: Status
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    combined: str = ""
    seconds: float = 0.0
    timed_out: bool = False
    failures: list[str] = field(default_factory=list)
    reason: str = ""
    #: The server-log lines the command's server_log expectations matched (shown on the page).
    server_log: str = ""
    #: Programs the command requires that are not installed here (it was not run).
    missing: list[str] = field(default_factory=list)
    #: The tools the command used (names; their versions are the entry result's ``tools``).
    tools: list[str] = field(default_factory=list)
    #: Other versions of those tools the same command (same entry, same expectations) passed
    #: with, one ``{tool: version}`` per run, as recorded by ``make matrix`` (the page names them).
    also: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.status = Status(self.status)  # from JSON: the plain word

    @property
    def ok(self) -> bool:
        """True when the command ran (now or in a cached run) and met every expectation."""
        return self.status in (PASSED, CACHED)

    @property
    def excused(self) -> bool:
        """Not run because a program it requires is missing: not a failure, except in strict
        runs (``verify --strict``, strict builds)."""
        return self.status == UNVERIFIED and bool(self.missing)

    @property
    def why(self) -> list[str]:
        """Why the command is not ok, one reason a line: the failed expectations, or why it
        could not run. Every report (terminal, MkDocs warnings, JUnit, pytest) words it so."""
        if self.ok:
            return []
        return self.failures or [self.reason or str(self.status)]


@dataclass
class EntryResult:
    """Results of one entry's commands, from one sandbox, with the toolchain that produced them."""

    entry: str
    key: str
    commands: list[CommandResult]
    date: str = ""
    #: The versions of the tools the entry's commands use (its cache key has them too).
    tools: dict[str, str] = field(default_factory=dict)
    #: Where the sandbox was kept (``--keep``); empty when it was removed.
    sandbox: str = ""
    #: Why the commands ran without the bubblewrap sandbox (empty: they ran inside it).
    unsandboxed: str = ""

    @property
    def ok(self) -> bool:
        """True when every command met its expectations."""
        return all(c.ok for c in self.commands)

    def acceptable(self, strict: bool) -> bool:
        """True when every command passed, or (unless ``strict``) was excused (a required
        program is not installed here)."""
        return all(c.ok or (c.excused and not strict) for c in self.commands)

    def to_json(self) -> dict[str, Any]:
        """Plain-data form for the cache and ``--json``."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryResult:
        """Inverse of :meth:`to_json`."""
        cmds = [CommandResult(**c) for c in data["commands"]]
        return cls(**{**data, "commands": cmds})
