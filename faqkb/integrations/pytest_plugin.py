"""pytest plugin: `pytest --faqkb` runs every FAQ entry as a test (a thin shell over verify).

Each ``docs/faq/<id>.yml`` becomes one test item. All collected entries are verified
together on first use (in parallel, with the result cache), and each item then
reports its own entry: the commands that failed, why, and the tail of their output.
Without ``--faqkb`` the plugin collects nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from faqkb.errors import ContentError
from faqkb.model import SECTIONS_FILE

if TYPE_CHECKING:
    from faqkb.results import EntryResult

#: Per entry: its failure lines, and why it was skipped (every command not ok lacked a program).
_RESULTS = pytest.StashKey[dict[str, tuple[list[str], str]]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--faqkb`` and ``--faqkb-jobs``."""
    group = parser.getgroup("faqkb", "verify FAQ entries (faqkb)")
    group.addoption("--faqkb", action="store_true", help="collect docs/faq/*.yml entries as tests")
    group.addoption("--faqkb-jobs", type=int, default=None, metavar="N",
                    help="entries verified in parallel (default: cores)")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """An entry file of a FAQ directory (one that has a sections file) is a test file."""
    if (parent.config.getoption("faqkb") and file_path.suffix in (".yml", ".yaml")
            and not file_path.name.startswith("_") and (file_path.parent / SECTIONS_FILE).is_file()):
        return EntryFile.from_parent(parent, path=file_path)
    return None


class EntryFile(pytest.File):
    """One entry file; its single item verifies the entry."""

    def collect(self) -> Iterator[pytest.Item]:
        """Yield the entry's test item."""
        yield EntryItem.from_parent(self, name=self.path.stem)


class EntryItem(pytest.Item):
    """Verifies one entry; all collected entries are run together the first time."""

    def runtest(self) -> None:
        """Fail with the entry's failures, if any."""
        results = self._results()
        if self.name not in results:
            return  # an entry without commands has nothing to verify
        lines, skipped = results[self.name]
        if skipped:
            pytest.skip(skipped)
        if lines:
            raise EntryFailed(lines)

    def _results(self) -> dict[str, tuple[list[str], str]]:
        stash = self.config.stash
        if _RESULTS not in stash:
            from faqkb.load.loader import load_kb
            from faqkb.project import Project
            from faqkb.reports.text import failure_lines
            from faqkb.verify.verifier import verify_kb

            ids = [i.name for i in self.session.items if isinstance(i, EntryItem)]
            project = Project.discover(faq_dir=self.path.parent)
            kb = load_kb(project.faq_dir, project.snippets_dir, only=ids)
            report = verify_kb(kb, project, only=[i for i in ids if i in kb.entries],
                               jobs=self.config.getoption("faqkb_jobs"))
            stash[_RESULTS] = {
                eid: (failure_lines(kb, {eid: er}), _skipped(er)) for eid, er in report.results.items()
            }
        return stash[_RESULTS]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        """Content problems and failed commands as faqkb prints them, without a traceback."""
        if isinstance(excinfo.value, EntryFailed):
            return "\n".join(excinfo.value.lines)
        if isinstance(excinfo.value, ContentError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the entry is, for pytest's report."""
        return self.path, 0, f"faqkb entry {self.name}"


def _skipped(er: EntryResult) -> str:
    """Why the entry is skipped: every command that did not pass lacked a required program."""
    bad = [c for c in er.commands if not c.ok]
    return "; ".join(dict.fromkeys(c.reason for c in bad)) if bad and all(c.excused for c in bad) else ""


class EntryFailed(Exception):
    """An entry whose commands did not all pass."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0] if lines else "failed")
        self.lines = lines
