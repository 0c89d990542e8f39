"""Load and validate a FAQ directory, reporting every problem with its position.

A FAQ directory holds one ``<id>.yml`` per entry, ``_sections.yml`` (section ids,
titles and order) and optionally ``_tags.yml`` (the allowed tags). Loading runs in
four steps, each a function a reader holds in one screen:

1. read: YAML syntax, duplicate keys, the JSON Schema (:func:`_read_entry`);
2. check: what one entry names against the registries (:mod:`faqkb.load.checks`);
3. cross-check: what needs every entry (duplicate ids, links, see_also, section lists);
4. select: with ``only``, problems in other files are tolerated, not fatal.

Every problem in every file is collected before reporting. :func:`load_project` adds the
entries written outside the FAQ folder (:mod:`faqkb.load.strays`) to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faqkb._util import did_you_mean
from faqkb.errors import ContentError, Kind, Problem
from faqkb.load import located
from faqkb.load.checks import Registries, check_entry, check_links
from faqkb.load.memo import SchemaMemo
from faqkb.load.schema import schema_problems
from faqkb.load.sidefiles import Sections, load_sections, load_tags
from faqkb.load.snapfiles import attach_snapshots
from faqkb.load.strays import stray_entries
from faqkb.model import SNAP_SUFFIX, Entry, KnowledgeBase
from faqkb.project import Project
from faqkb.verify.tools import tool_specs


@dataclass
class _Loaded:
    """What reading the entry files gave: entries that built, and every problem so far."""

    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: (document, its see_also list) of every entry, valid or not, for the cross-checks.
    see_also: list[tuple[located.Located, list[Any]]] = field(default_factory=list)


def _entry_files(faq_dir: Path) -> list[Path]:
    return [p for p in sorted(faq_dir.glob("*.yml")) + sorted(faq_dir.glob("*.yaml"))
            if not p.name.startswith("_")]


def _read_entry(path: Path, reg: Registries, memo: SchemaMemo, out: _Loaded) -> None:
    """Read, validate and check one entry file; add the entry (if valid) and its problems."""
    text, unreadable = located.read_source(path)
    if text is None:
        assert unreadable is not None
        out.problems.append(unreadable)
        return
    doc = located.load(text, str(path))
    out.problems.extend(doc.problems)
    if doc.data is None:
        return
    if not isinstance(doc.data, dict):
        out.problems.append(doc.problem((), "an entry must be a mapping of fields (id, question, ...)"))
        return
    digest = memo.digest(text)
    trusted = memo.trusted(digest) and not doc.problems
    invalid = [] if trusted else schema_problems(doc)
    checked = check_entry(doc, path, reg, trusted=trusted)
    if not (invalid or checked or doc.problems):
        memo.passed(digest)  # only a text with no problem at all is trusted next time
    out.problems += invalid + checked
    if isinstance(doc.data.get("see_also"), list):
        out.see_also.append((doc, doc.data["see_also"]))
    if invalid or doc.problems:
        return
    entry_id = doc.data["id"]
    if entry_id in out.entries:
        out.problems.append(
            doc.problem(("id",), f"duplicate id {entry_id!r} (also in {out.entries[entry_id].path})"))
        return
    # A command's line is its `run:` key's, where every report (text, --json, JUnit, GitHub
    # annotations) points: a title line above it would send the reader to the wrong line.
    lines = [doc.where(("commands", i, "run"), key=True)[0]
             for i in range(len(doc.data.get("commands", [])))]
    out.entries[entry_id] = Entry.from_dict(doc.data, path, lines)


def _cross_check(faq_dir: Path, files: list[Path], side: Sections, loaded: _Loaded) -> list[Problem]:
    """Checks that need every entry: links, see_also, and the sections' reading lists."""
    known = sorted({p.stem for p in files})
    problems = [p for entry in loaded.entries.values() for p in check_links(entry, known)]
    for doc, see_also in loaded.see_also:
        for i, other in enumerate(see_also):
            if not isinstance(other, str):
                continue
            if other not in known:
                fix = did_you_mean(other, known, otherwise=f"there is no {other}.yml in {faq_dir}")
                problems.append(doc.problem(("see_also", i), f"unknown see_also entry {other!r}; {fix}")
                                .with_kind(Kind.SEE_ALSO))
            elif other == Path(doc.path).stem:
                problems.append(doc.problem(("see_also", i), "an entry cannot see_also itself"))
    # Each entry gets its <id>.snap file here, once every entry is known (orphans, staleness).
    problems += attach_snapshots(faq_dir, known, loaded.entries)
    entries = loaded.entries
    for section in side.sections:
        sdoc, i = side.where[section.id]
        for j, eid in enumerate(section.order):
            if eid in entries and entries[eid].section != section.id:
                problems.append(sdoc.problem((i, "entries", j),
                                             f"entry {eid!r} is in section {entries[eid].section!r}, "
                                             f"not {section.id!r}; move it to that section's list"))
            elif eid not in known:
                problems.append(sdoc.problem((i, "entries", j), f"no entry {eid!r} (no {eid}.yml)"))
    return problems


def _blocking(faq_dir: Path, problems: list[Problem], entries: dict[str, Entry],
              only: list[str] | None) -> list[Problem]:
    """The problems that stop loading: all of them, or with ``only`` those of the selected
    entries and of the side files (plus an unknown selected id)."""
    if only is None:
        return problems
    mine = {str(faq_dir / f"{i}{ext}") for i in only for ext in (".yml", ".yaml", SNAP_SUFFIX)}
    # A see_also to an entry not written yet, an answer not written yet, or a stale snapshot
    # (`faqkb verify --update ID` is how it gets fixed) does not stop the entry's commands.
    blocking = [p for p in problems if (p.path in mine and p.kind not in (Kind.SEE_ALSO, Kind.DRAFT,
                                                                           Kind.SNAPSHOT))
                or Path(p.path).name.startswith("_")]
    for i in only:
        if i not in entries and not any(p.path in mine for p in problems):
            fix = did_you_mean(i, entries, otherwise="check the id (the file name stem)")
            blocking.append(Problem(str(faq_dir / f"{i}.yml"), 1, 1, f"no entry {i!r}; {fix}"))
    return blocking


def load_kb(
    faq_dir: Path,
    snippets_dir: Path | None = None,
    *,
    only: list[str] | None = None,
    schema_memo: Path | None = None,
    tools: tuple[str, ...] | None = None,
) -> KnowledgeBase:
    """Load every entry below ``faq_dir``; raise :class:`ContentError` listing every problem.

    With ``only``, problems in other files are tolerated (kept in ``kb.problems``), so one
    author's unfinished entry does not stop another from running theirs. ``tools``: the
    project's tool names, the only ones an ``expect.when`` case may name (None: not checked).
    """
    faq_dir = Path(faq_dir)
    if not faq_dir.is_dir():
        raise ContentError([Problem(str(faq_dir), 1, 1, "FAQ directory not found")])
    side = load_sections(faq_dir)
    tags, tag_problems = load_tags(faq_dir)
    reg = Registries(side.sections, tags, snippets_dir, tools)
    memo = SchemaMemo(schema_memo)
    loaded = _Loaded(problems=side.problems + tag_problems)
    files = _entry_files(faq_dir)
    for path in files:
        _read_entry(path, reg, memo, loaded)
    problems = loaded.problems + _cross_check(faq_dir, files, side, loaded)
    memo.save()
    blocking = _blocking(faq_dir, problems, loaded.entries, only)
    if blocking:
        raise ContentError(blocking)
    return KnowledgeBase(
        root=faq_dir, sections=side.sections, entries=loaded.entries, snippets_dir=snippets_dir,
        tags=tags or {}, problems=[p for p in problems if p not in blocking],
    )


def load_project(project: Project, *, only: list[str] | None = None,
                 schema_memo: Path | None = None) -> KnowledgeBase:
    """:func:`load_kb` of the project's FAQ folder, plus a problem for every entry written
    outside it (under docs_dir, or in a sub-folder of the FAQ folder).

    Those are fatal like any other problem, except with ``only`` (they are in no selected file).
    """
    strays = stray_entries(project.faq_dir, project.docs_dir, project.root)
    try:
        kb = load_kb(project.faq_dir, project.snippets_dir, only=only, schema_memo=schema_memo,
                     tools=tuple(tool_specs(project.tools)))
    except ContentError as exc:
        raise ContentError(exc.problems + ([] if only is not None else strays)) from None
    if strays and only is None:
        raise ContentError(strays)
    kb.problems.extend(strays)
    return kb


def entry_ids(faq_dir: Path) -> list[str]:
    """The ids the entry files of ``faq_dir`` claim (their stems), valid or not, sorted."""
    return sorted({p.stem for p in _entry_files(faq_dir)})


def lint(faq_dir: Path, snippets_dir: Path | None = None) -> list[Problem]:
    """Every problem in ``faq_dir``, sorted by file and position (empty when clean)."""
    try:
        load_kb(faq_dir, snippets_dir)
    except ContentError as exc:
        return exc.problems
    return []
