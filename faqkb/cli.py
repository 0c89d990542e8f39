"""The ``faqkb`` command line: a thin click shell over the core.

Exit status: 0 success, 1 a check failed or nothing matched, 2 bad usage or invalid content.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from faqkb import __version__
from faqkb.problems import ContentError, FaqkbError
from faqkb.project import Project

EXIT_FAILED = 1
EXIT_INVALID = 2


def _die(message: str, code: int = EXIT_INVALID) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(code)


def _project(faq_dir: str | None = None) -> Project:
    try:
        return Project.discover(faq_dir=Path(faq_dir) if faq_dir else None)
    except FaqkbError as exc:
        _die(f"faqkb: {exc}")


def _load(project: Project) -> Any:
    from faqkb.loader import load_kb

    try:
        return load_kb(project.faq_dir, project.snippets_dir)
    except ContentError as exc:
        _report_problems(exc)


def _report_problems(exc: ContentError) -> NoReturn:
    for p in exc.problems:
        click.echo(str(p), err=True)
    n = len(exc.problems)
    _die(f"faqkb: {n} problem{'s' * (n != 1)} found; fix them and run again.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="faqkb")
def main() -> None:
    """faqkb: FAQ knowledge bases whose answers cannot silently rot.

    Entries are YAML files (docs/faq/<id>.yml). faqkb checks them, runs every command
    they show against a bundled reference TLS server, and renders them into a MkDocs +
    Material site that shows each command with the output it really produced.

    \b
    Typical use:
      faqkb lint                 check every entry, list every problem
      faqkb verify               run every command, exit 1 if any fails
      faqkb build                verify and build the site into site/
      faqkb search "no shared cipher"
    """


@main.command()
@click.argument("faq_dir", required=False, type=click.Path(file_okay=False))
def lint(faq_dir: str | None) -> None:
    """Check every entry in FAQ_DIR (default: docs/faq) and report every problem.

    Problems are printed as path:line:col: message. Exit 0 when clean, 2 when not.
    """
    project = _project(faq_dir)
    kb = _load(project)
    n = len(kb.entries)
    click.echo(f"{project.faq_dir}: {n} entr{'y' if n == 1 else 'ies'}, no problems.", err=True)


@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the docs tree into (created; replaced if it exists).")
@click.option("--no-verify", is_flag=True, help="Render without running commands.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Entries verified in parallel.")
def render(out: str, no_verify: bool, jobs: int | None) -> None:
    """Write the complete docs tree (hand-written pages + rendered FAQ pages) to OUT.

    Any generator that reads mkdocs.yml (for example Zensical) can build the result
    without the faqkb plugin.
    """
    from faqkb.sitebuild import render_tree

    project = _project()
    try:
        built = render_tree(project, Path(out), verify=not no_verify, jobs=jobs,
                            progress=lambda m: click.echo(m, err=True))
    except ContentError as exc:
        _report_problems(exc)
    except FaqkbError as exc:
        _die(f"faqkb: {exc}")
    click.echo(f"wrote {len(built.pages)} pages into {out}", err=True)


@main.command()
@click.option("--site-dir", type=click.Path(file_okay=False), help="Where the site goes (default: site_dir of mkdocs.yml).")
@click.option("--strict", is_flag=True, help="Fail when any command fails or cannot be verified.")
@click.option("--no-verify", is_flag=True, help="Build without running commands (pages say so).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Entries verified in parallel.")
def build(site_dir: str | None, strict: bool, no_verify: bool, jobs: int | None) -> None:
    """Verify and build the site. Atomic: a failed build leaves the previous site untouched."""
    from faqkb.sitebuild import build_site

    project = _project()
    try:
        result = build_site(project, Path(site_dir) if site_dir else None, strict=strict,
                            verify=not no_verify, jobs=jobs,
                            progress=lambda m: click.echo(m, err=True))
    except ContentError as exc:
        _report_problems(exc)
    except FaqkbError as exc:
        _die(f"faqkb: {exc}", EXIT_FAILED)
    for line in result.failures:
        click.echo(f"WARNING: {line}", err=True)
    click.echo(f"site built in {result.site_dir}", err=True)


@main.command()
@click.argument("entry_id")
@click.option("--json", "as_json", is_flag=True, help="Print the entry as JSON.")
def show(entry_id: str, as_json: bool) -> None:
    """Print one entry: question, answer and commands as a reader types them."""
    from faqkb import placeholders

    kb = _load(_project())
    e = kb.entries.get(entry_id)
    if e is None:
        import difflib

        hint = difflib.get_close_matches(entry_id, list(kb.entries), n=3)
        _die(f"faqkb: no entry {entry_id!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""),
             EXIT_FAILED)
    cmds = [placeholders.for_page(c.run) for c in e.commands]
    if as_json:
        click.echo(json.dumps({"id": e.id, "section": e.section, "question": e.question,
                               "answer": e.answer, "tags": list(e.tags), "commands": cmds},
                              indent=2))
        return
    click.echo(click.style(e.question, bold=True))
    click.echo(f"[{e.section}] {' '.join('#' + t for t in e.tags)}\n")
    click.echo(e.answer.strip())
    for c in cmds:
        click.echo("\n  $ " + c.replace("\n", "\n    "))


_NEW_ENTRY = """\
# yaml-language-server: $schema={schema}
id: {id}
section: {section}
question: {question}
aliases: []
tags: []
answer: |
  Write today's answer here, in Markdown.
legacy:
  - source: new
    ref: {id}
    question: {question}
commands: []
"""


@main.command()
@click.argument("entry_id")
@click.option("--section", required=True, help="Section id (see docs/faq/_sections.yml).")
@click.option("--question", required=True, help="The question, in the reader's words.")
def new(entry_id: str, section: str, question: str) -> None:
    """Create docs/faq/ENTRY_ID.yml from a template (refuses to overwrite)."""
    import re

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", entry_id):
        _die(f"faqkb: entry id {entry_id!r} must be lowercase letters, digits and dashes")
    project = _project()
    path = project.faq_dir / f"{entry_id}.yml"
    if path.exists():
        _die(f"faqkb: {path} already exists; edit it instead")
    schema = Path(__file__).parent / "schema" / "entry.schema.json"
    rel = Path(*([".."] * len(path.parent.relative_to(project.root).parts)),
               schema.relative_to(project.root)) if schema.is_relative_to(project.root) else schema
    path.write_text(_NEW_ENTRY.format(schema=rel.as_posix(), id=entry_id, section=section,
                                      question=json.dumps(question)), "utf-8")
    click.echo(f"created {path}; run `faqkb lint` when you have filled it in", err=True)


def run() -> None:
    """Entry point that turns stray internal errors into one clear line, not a traceback."""
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        _die("faqkb: interrupted", 130)


if __name__ == "__main__":
    run()
