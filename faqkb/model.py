"""The entry model: plain, immutable objects built from validated YAML."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # only for annotations: the model imports nothing of faqkb at run time
    from faqkb.errors import Problem
    from faqkb.snapshots.fileformat import SnapFile

DEFAULT_TIMEOUT = 30.0
#: The scenario of commands that talk to the entry's private Apache httpd (its ``httpd:`` block),
#: beside the reference server's scenarios (:mod:`faqkb.tlsserver.scenarios`).
HTTPD_SCENARIO = "httpd"
#: The FAQ directory's side files: sections (titles, reading order) and the tag vocabulary.
SECTIONS_FILE = "_sections.yml"
TAGS_FILE = "_tags.yml"
#: An entry's recorded snapshots live beside it in ``<id>.snap`` (see :mod:`faqkb.snapshots`).
SNAP_SUFFIX = ".snap"
#: ``[text](#entry-id)`` in an answer: a link to another entry, wherever it lives.
ENTRY_LINK = re.compile(r"\]\(#([^)\s]+)\)")


#: One clause of a version condition: ``>=3.5``, ``<3.5``, ``==3.0``, ``!=2``, or a bare ``3.0``
#: (meaning ``==``); a condition is clauses joined by commas, all of which must hold.
VERSION_CLAUSE = re.compile(r"^\s*(>=|<=|==|!=|>|<)?\s*(\d+(?:\.\d+)*)\s*$")
_VERSION_WORDS = {">=": "{} and later", "<=": "{} and earlier", ">": "after {}", "<": "before {}",
                  "==": "{}", "!=": "other than {}"}


def _numbers(version: str) -> tuple[int, ...]:
    """The leading dotted numbers of a tool's version: ``(3, 5, 7)`` for ``3.5.7``, ``3.5.7a``."""
    m = re.match(r"\d+(?:\.\d+)*", version.strip())
    return tuple(int(x) for x in m.group(0).split(".")) if m else ()


def version_holds(condition: str, version: str) -> bool:
    """True when ``version`` (``3.5.7``) meets ``condition`` (``>=3.5``, ``>=3.0,<3.5``).

    Each clause compares as many numbers as it writes, so ``==3.0`` is every 3.0.x and ``>3.5``
    means 3.6 and later; a tool that is not installed (no version) meets no condition."""
    have = _numbers(version)
    if not have:
        return False
    for clause in condition.split(","):
        m = VERSION_CLAUSE.match(clause)
        if m is None:  # refused by the loader; never true
            return False
        op, want = m.group(1) or "==", tuple(int(x) for x in m.group(2).split("."))
        got = (have + (0,) * len(want))[: len(want)]
        if not {">=": got >= want, "<=": got <= want, ">": got > want, "<": got < want,
                "==": got == want, "!=": got != want}[op]:
            return False
    return True


def version_words(condition: str) -> str:
    """``3.5 and later`` for ``>=3.5``; ``3.0 and later and before 3.5`` for ``>=3.0,<3.5``."""
    parts = []
    for clause in condition.split(","):
        m = VERSION_CLAUSE.match(clause)
        if m:
            parts.append(_VERSION_WORDS[m.group(1) or "=="].format(m.group(2)))
    return " and ".join(parts)


@dataclass(frozen=True)
class When:
    """A version-specific case of a command's expectations (``expect.when[]``): when every tool
    of ``versions`` has a version meeting its condition, the expectation keys of ``fields``
    replace the command's own; ``says`` tells readers what differs (the page shows it)."""

    versions: tuple[tuple[str, str], ...]
    says: str
    fields: tuple[tuple[str, Any], ...] = ()

    def holds(self, tools: dict[str, str]) -> bool:
        """True when each named tool's version (in ``tools``) meets its condition."""
        return all(version_holds(cond, tools.get(name, "")) for name, cond in self.versions)


@dataclass(frozen=True)
class Expect:
    """What a command must do. ``exit`` is a status or ``"nonzero"``; patterns are regexes;
    ``when`` holds the version-specific cases (see :meth:`for_versions`)."""

    exit: int | str = 0
    stdout: tuple[str, ...] = ()
    stderr: tuple[str, ...] = ()
    output: tuple[str, ...] = ()
    stdout_not: tuple[str, ...] = ()
    stderr_not: tuple[str, ...] = ()
    output_not: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    server_log: tuple[str, ...] = ()
    server_log_not: tuple[str, ...] = ()
    when: tuple[When, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Expect:
        """Build from the validated ``expect`` mapping."""
        kw: dict[str, Any] = {k: tuple(v) for k, v in d.items() if k not in ("exit", "when")}
        if "exit" in d:
            kw["exit"] = d["exit"]
        kw["when"] = tuple(
            When(versions=tuple(w["versions"].items()), says=w["says"],
                 fields=tuple((k, v if k == "exit" else tuple(v)) for k, v in w.items()
                              if k not in ("versions", "says")))
            for w in d.get("when", ()))
        return cls(**kw)

    def for_versions(self, tools: dict[str, str]) -> tuple[Expect, When | None]:
        """The expectations that apply with these tool versions (``{name: version}``): the
        first case of ``when`` that holds replaces the keys it gives; and that case, if any."""
        for case in self.when:
            if case.holds(tools):
                return dataclasses.replace(self, when=(), **dict(case.fields)), case
        return dataclasses.replace(self, when=()), None

    @property
    def tools(self) -> tuple[str, ...]:
        """The tools whose versions choose among the cases, in order, each once."""
        return tuple(dict.fromkeys(name for case in self.when for name, _ in case.versions))


@dataclass(frozen=True)
class Snapshot:
    """A command whose output is recorded and compared (``snapshot: true`` or ``{mask: [...]}``);
    ``masks`` are the author's own regexes of volatile text, beside the built-in ones."""

    masks: tuple[str, ...] = ()

    @classmethod
    def from_value(cls, value: Any) -> Snapshot | None:
        """Build from the validated ``snapshot`` value; None for ``false`` or no value."""
        if isinstance(value, dict):
            return cls(masks=tuple(value.get("mask", ())))
        return cls() if value is True else None


@dataclass(frozen=True)
class Command:
    """One command an answer tells readers to run, and what it must do."""

    run: str
    title: str | None = None
    stdin: str | None = None
    fixtures: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()
    scenario: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    show: str = "both"
    note: str | None = None
    expect: Expect = field(default_factory=Expect)
    snapshot: Snapshot | None = None
    line: int = 0
    #: Variables added to (or overriding) the entry's environment for this command.
    env: tuple[tuple[str, str], ...] = ()
    #: Programs that must be on the sandbox PATH, or the command is not run (unverified).
    requires: tuple[str, ...] = ()
    #: It shows what only root sees (httpd dropping its workers to another user): run by a
    #: normal user, it is not run (unverified).
    requires_root: bool = False

    @classmethod
    def from_dict(cls, d: dict[str, Any], line: int = 0) -> Command:
        """Build from one validated ``commands[]`` item."""
        return cls(
            run=d["run"],
            title=d.get("title"),
            stdin=d.get("stdin"),
            fixtures=tuple(d.get("fixtures", ())),
            snippets=tuple(d.get("snippets", ())),
            scenario=d.get("scenario"),
            timeout=float(d.get("timeout", DEFAULT_TIMEOUT)),
            show=d.get("show", "both"),
            note=d.get("note"),
            expect=Expect.from_dict(d.get("expect", {})),
            snapshot=Snapshot.from_value(d.get("snapshot")),
            line=line,
            env=tuple(d.get("env", {}).items()),
            requires=tuple(d.get("requires", ())),
            requires_root=bool(d.get("requires_root", False)),
        )


@dataclass(frozen=True)
class Httpd:
    """A private Apache httpd the entry's ``scenario: httpd`` commands talk to."""

    config: str
    modules: tuple[str, ...] = ()
    paths: tuple[tuple[str, str], ...] = ()
    fixtures: tuple[str, ...] = ()
    snippets: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    passphrase: str | None = None
    expect_start: bool = True

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Httpd:
        """Build from the validated ``httpd`` mapping."""
        return cls(
            config=d["config"],
            modules=tuple(d.get("modules", ())),
            paths=tuple(d.get("paths", {}).items()),
            fixtures=tuple(d.get("fixtures", ())),
            snippets=tuple(d.get("snippets", ())),
            files=tuple(d.get("files", {}).items()),
            passphrase=d.get("passphrase"),
            expect_start=d.get("expect_start", True),
        )


@dataclass(frozen=True)
class Legacy:
    """Where an entry came from: the original FAQ's anchor and question text."""

    source: str
    ref: str
    question: str


@dataclass(frozen=True)
class Entry:
    """One FAQ entry, as validated from ``docs/faq/<id>.yml``."""

    id: str
    section: str
    question: str
    answer: str
    path: Path
    #: Where the entry came from (an older FAQ); empty for a question asked here first.
    legacy: tuple[Legacy, ...] = ()
    aliases: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    then_and_now: str | None = None
    see_also: tuple[str, ...] = ()
    commands: tuple[Command, ...] = ()
    httpd: Httpd | None = None
    #: Its ``<id>.snap`` file as read by the loader; None when there is none.
    snapshots: SnapFile | None = None
    #: Variables every command of the entry gets (a command's own ``env`` wins).
    env: tuple[tuple[str, str], ...] = ()
    #: Programs every command requires (added to each command's own ``requires``).
    requires: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: dict[str, Any], path: Path, command_lines: list[int]) -> Entry:
        """Build from a validated entry mapping; ``command_lines`` are its commands' lines."""
        return cls(
            id=d["id"],
            section=d["section"],
            question=d["question"].strip(),
            answer=d["answer"],
            path=path,
            legacy=tuple(Legacy(**x) for x in d.get("legacy", ())),
            aliases=tuple(d.get("aliases", ())),
            tags=tuple(d.get("tags", ())),
            then_and_now=d.get("then_and_now"),
            see_also=tuple(d.get("see_also", ())),
            commands=tuple(Command.from_dict(c, line=line)
                           for c, line in zip(d.get("commands", []), command_lines, strict=True)),
            httpd=Httpd.from_dict(d["httpd"]) if "httpd" in d else None,
            env=tuple(d.get("env", {}).items()),
            requires=tuple(d.get("requires", ())),
        )

    def requires_of(self, cmd: Command) -> tuple[str, ...]:
        """The programs ``cmd`` needs: the entry's, then its own, each once."""
        return tuple(dict.fromkeys((*self.requires, *cmd.requires)))

    @property
    def snap_path(self) -> Path:
        """Where the entry's snapshots are recorded: ``<id>.snap`` beside its YAML file."""
        return self.path.with_name(self.id + SNAP_SUFFIX)

    @property
    def uses_httpd(self) -> bool:
        """True when the entry has an httpd block and some command talks to it."""
        return self.httpd is not None and any(c.scenario == HTTPD_SCENARIO for c in self.commands)


@dataclass(frozen=True)
class Section:
    """A group of entries, in the order of ``_sections.yml``."""

    id: str
    title: str
    intro: str = ""
    #: Entry ids in reading order; entries not listed follow, by file name.
    order: tuple[str, ...] = ()


@dataclass
class KnowledgeBase:
    """All entries and sections of one FAQ directory."""

    root: Path
    sections: list[Section]
    entries: dict[str, Entry]
    snippets_dir: Path | None = None
    tags: dict[str, str] = field(default_factory=dict)
    #: Problems tolerated in other entries when loading for a selection (``only``).
    problems: list[Problem] = field(default_factory=list)

    def in_section(self, section_id: str) -> list[Entry]:
        """Entries of one section: those the section lists first, in its order, then by file name."""
        order = next((s.order for s in self.sections if s.id == section_id), ())
        rank = {eid: i for i, eid in enumerate(order)}
        return sorted(
            (e for e in self.entries.values() if e.section == section_id),
            key=lambda e: (rank.get(e.id, len(rank)), e.path.name),
        )

    def section_of(self, entry: Entry) -> Section:
        """The :class:`Section` an entry belongs to."""
        return next(s for s in self.sections if s.id == entry.section)
