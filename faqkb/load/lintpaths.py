"""What ``faqkb lint PATH...`` checks: the knowledge base of each path, found from where it is.

A pre-commit hook passes the staged files, from the repository root or anywhere else, so
each path finds its own KB: the mkdocs.yml at or above it says where the FAQ folder is.

- no path: the project at or above the working directory, whole;
- a folder: that FAQ folder, whole (a folder holding mkdocs.yml: that project's FAQ folder);
- ``_sections.yml`` or ``_tags.yml``: its KB, whole (every entry depends on them);
- an entry file: its KB is loaded whole, so sections, tags, ``see_also`` and links are
  checked against every entry; reported are the problems in the named files, those of the
  side files (they concern every entry), and those elsewhere that name a named file (the
  other half of a duplicate id). The rest of the KB is counted in a note, not reported: a
  teammate's unfinished entry does not fail your commit;
- another file in a FAQ folder (a snapshot, the editors' schema, ``_notes.yml``): nothing
  to check, skipped;
- an entry-shaped YAML file anywhere else: a problem (it is not part of the KB);
- any other file of a project: a note (nothing to check);
- a file of no FAQ at all (no mkdocs.yml above it, no ``_sections.yml`` beside it): a problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faqkb.errors import ContentError, Problem
from faqkb.load.loader import load_project
from faqkb.load.strays import YAML_SUFFIXES, looks_like_entry_file, misplaced, shown_faq_dir
from faqkb.model import SECTIONS_FILE, TAGS_FILE
from faqkb.project import Project, config_in

_SIDE_FILES = (SECTIONS_FILE, TAGS_FILE)


@dataclass
class Checked:
    """One KB that was linted: how many entries it has (None when it did not load), and
    how many named files of it were checked (None: the whole KB)."""

    faq_dir: Path
    entries: int | None
    files: int | None
    #: Problems of the KB left out because they are in none of the named files.
    elsewhere: int = 0


@dataclass
class LintReport:
    """Every problem to report, the KBs checked, and notes (files with nothing to check)."""

    problems: list[Problem] = field(default_factory=list)
    checked: list[Checked] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Target:
    project: Project
    #: The named entry files (as the loader names them); None: the whole KB.
    files: set[str] | None = field(default_factory=set)


def _project_of_file(path: Path) -> Project | None:
    """The project whose FAQ a file belongs to: the mkdocs.yml at or above it; without one,
    the file's own folder if it holds a sections file (a FAQ folder without a site)."""
    project = Project.discover(start=path.parent)
    if project.config_file is not None:
        return project
    if (path.parent / SECTIONS_FILE).is_file():
        return Project.discover(faq_dir=path.parent)
    return None


def _project_of_folder(path: Path) -> Project:
    if config_in(path) is not None:
        return Project.discover(start=path)
    return Project.discover(faq_dir=path)


def lint_paths(paths: Sequence[Path]) -> LintReport:
    """Lint ``paths`` (files and folders; none: the project here) as the module doc says."""
    report = LintReport()
    targets: dict[Path, _Target] = {}

    def whole(project: Project) -> None:
        targets.setdefault(project.faq_dir, _Target(project)).files = None

    if not paths:
        whole(Project.discover())
    for given in paths:
        path = given.absolute()
        if path.is_dir() or (not path.exists() and not path.name.endswith(YAML_SUFFIXES)):
            whole(_project_of_folder(path))  # a missing folder: the loader says "not found"
            continue
        if not path.exists():
            report.problems.append(Problem(str(path), 1, 1, "no such file; check the path"))
            continue
        project = _project_of_file(path)
        if project is None:
            report.problems.append(Problem(
                str(path), 1, 1, "not part of any FAQ: there is no mkdocs.yml at or above it and "
                f"no {SECTIONS_FILE} beside it; name files of a FAQ folder (by default docs/faq/<id>.yml)"))
            continue
        faq_dir = project.faq_dir
        shown = shown_faq_dir(faq_dir, project.root)
        if path.parent.resolve() == faq_dir:
            if path.name in _SIDE_FILES:
                whole(project)
            elif path.name.endswith(YAML_SUFFIXES) and not path.name.startswith("_"):
                files = targets.setdefault(faq_dir, _Target(project)).files
                if files is not None:
                    files.add(str(faq_dir / path.name))
            # Anything else there (snapshots, the editors' schema) is not the loader's: skip it.
        elif looks_like_entry_file(path):
            report.problems.append(misplaced(path, faq_dir, shown))
        else:
            report.notes.append(f"{given} is not in the FAQ folder {shown}; nothing to check in it")
    left_out = {faq_dir: _lint_one(target, report) for faq_dir, target in targets.items()}
    report.problems = sorted(set(report.problems))
    for checked in report.checked:  # a misplaced entry named on the command line is reported
        checked.elsewhere = len(set(left_out[checked.faq_dir]) - set(report.problems))
    return report


def _lint_one(target: _Target, report: LintReport) -> list[Problem]:
    """Lint one KB into ``report``; return its problems left out (in no named file)."""
    faq_dir = target.project.faq_dir
    try:
        kb = load_project(target.project)
        problems: list[Problem] = []
        entries: int | None = len(kb.entries)
    except ContentError as exc:
        problems, entries = exc.problems, None
    files = target.files
    if files is None:
        report.problems += problems
        report.checked.append(Checked(faq_dir, entries, None))
        return []
    side = {str(faq_dir / name) for name in _SIDE_FILES} | {str(faq_dir)}
    mine = [p for p in problems
            if p.path in files or p.path in side or any(f in p.message for f in files)]
    report.problems += mine
    report.checked.append(Checked(faq_dir, entries, len(files)))
    return [p for p in problems if p not in mine]
