"""The one build pipeline every integration calls: load, verify, render."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from faqkb._util import did_you_mean
from faqkb.errors import ContentError, Problem
from faqkb.load.loader import load_kb
from faqkb.load.strays import stray_entries
from faqkb.model import KnowledgeBase
from faqkb.pipeline.memo import PageMemo
from faqkb.project import Project, option_position
from faqkb.render.pages import RenderOptions, page_problems, render_pages
from faqkb.reports.text import warning_lines
from faqkb.results import EntryResult


@dataclass
class Built:
    """What a build produced: Markdown pages, and one line per command not verified."""

    pages: dict[str, str]
    failures: list[str] = field(default_factory=list)
    results: dict[str, EntryResult] = field(default_factory=dict)
    #: What the user should know that did not fail the build (see ``Report.notes``).
    notes: list[str] = field(default_factory=list)


def check_pages(kb: KnowledgeBase, project: Project) -> None:
    """A ContentError for what would make the site's pages wrong: an entry whose page would
    take a generated page's place, a ``most_asked`` id that is no entry."""
    problems = page_problems(kb)
    unknown = [i for i in project.most_asked if i not in kb.entries]
    if unknown:
        line, col = (1, 1) if project.config_file is None else option_position(
            project.config_file, ("most_asked",))
        problems += [Problem(str(project.config_file or "mkdocs.yml"), line, col,
                             f"most_asked names no entry {i!r}; {did_you_mean(i, list(kb.entries))}")
                     for i in unknown]
    if problems:
        raise ContentError(problems)


def build(
    project: Project,
    *,
    verify: bool = True,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Load the FAQ (raising ContentError on invalid content), verify, and render its pages.

    An entry written outside the FAQ folder is a failure line here, as a failed command is (a
    warning under MkDocs, fatal with --strict): ``faqkb build`` and ``faqkb render`` refuse it
    before they get here (:func:`~faqkb.load.loader.load_project`).
    """
    # Nothing the page memo hashes changes when an entry is misplaced: look before trusting it.
    strays = [str(p) for p in stray_entries(project.faq_dir, project.docs_dir, project.root)]
    memo = None
    if verify and not strays:
        from faqkb.verify.tools import Versions

        probes = Versions(project.tools, lambda name: project.where("tools", name))
        memo = PageMemo(project, probes.versions(probes.specs))
        pages = memo.get()
        if pages is not None:
            if progress:
                progress("faqkb: nothing changed since the last verified build; pages reused")
            return Built(pages)
    kb = load_kb(project.faq_dir, project.snippets_dir,
                 schema_memo=project.cache_dir / "schema-valid.json")
    results: dict[str, EntryResult] = {}
    notes: list[str] = []
    if verify and any(e.commands for e in kb.entries.values()):
        from faqkb.verify.verifier import verify_kb  # deferred: rendering alone needs no runner

        report = verify_kb(kb, project, jobs=jobs, progress=progress)
        results, notes = report.results, report.notes
    check_pages(kb, project)
    pages = render_pages(kb, results, RenderOptions(prefix=project.faq_prefix,
                                                    legacy_page=project.legacy_page,
                                                    directory_urls=project.directory_urls,
                                                    templates_dir=project.templates_dir,
                                                    most_asked=project.most_asked))
    failures = strays + warning_lines(kb, results)
    if memo is not None and not failures:
        memo.put(pages)
    return Built(pages, failures, results, notes)
