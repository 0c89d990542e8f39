"""The ``faqkb`` command line: a thin click shell over the core.

Exit status: 0 success, 1 a check failed or nothing matched, 2 bad usage or invalid content.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from faqkb import __version__
from faqkb._util import plural, printable
from faqkb.errors import EXIT_FAILED, EXIT_INVALID, ContentError, FaqkbError
from faqkb.model import SECTIONS_FILE
from faqkb.project import Project

if TYPE_CHECKING:
    from faqkb.errors import Problem
    from faqkb.model import Entry, KnowledgeBase
    from faqkb.results import CommandResult, EntryResult
    from faqkb.snapshots.update import Recorded
    from faqkb.verify.changes import Selection


def _say(text: str = "", *, err: bool = False, **style: object) -> None:
    """Print text that may hold an entry's words or a command's output: control characters
    are shown, not obeyed (no screen clearing, no window titles from a hostile entry)."""
    shown = printable(text)
    plain = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"
    styled = click.style(shown, **style) if style and not plain else shown  # type: ignore[arg-type]
    click.echo(styled, err=err, color=False if plain else None)


def _die(message: str, code: int = EXIT_INVALID) -> NoReturn:
    _say(message, err=True)
    sys.exit(code)


def _project(faq_dir: str | None = None) -> Project:
    # A FaqkbError (unreadable mkdocs.yml) is reported by run(), with its exit status.
    return Project.discover(faq_dir=Path(faq_dir) if faq_dir else None)


def _load(project: Project, only: list[str] | None = None) -> KnowledgeBase:
    """Load the FAQ; a ContentError (every problem) is reported by run()."""
    from faqkb.load.loader import load_project

    kb = load_project(project, only=only)
    if kb.problems:
        files = sorted({p.path for p in kb.problems})
        click.echo(f"faqkb: note: {len(kb.problems)} problems in {len(files)} files not selected, "
                   "or that do not stop an entry from running (see_also, placeholders, "
                   "snapshots; run `faqkb lint`); running the selected entries", err=True)
    return kb


def _report_problems(exc: ContentError) -> NoReturn:
    for p in exc.problems:
        _say(str(p), err=True)
    n = len(exc.problems)
    _die(f"faqkb: {n} problem{'s' * (n != 1)} found; fix them and run again.")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="faqkb")
def main() -> None:
    """faqkb: FAQ knowledge bases whose answers cannot silently rot.

    Entries are YAML files (docs/faq/<id>.yml), one question each, on any subject. faqkb
    checks them, runs every command they show in a sandbox (git, python, curl, whatever the
    answer tells readers to type; a bundled reference TLS server and a private Apache httpd
    are there for entries that need a server), and renders them into a MkDocs + Material
    site that shows each command with the output it really produced and the versions of
    the tools it ran with (the plugin option `tools` declares them).

    \b
    At a glance:
      faqkb init [DIR]           start a new knowledge base that builds as it is
      faqkb lint [PATH...]       check the entries, list every problem (exit 2 if any)
      faqkb verify               run every command, exit 1 if any fails
      faqkb build                verify and build the site into site/
      faqkb render --out DIR     write the docs tree with the FAQ as Markdown
      faqkb show ENTRY_ID        print one entry in the terminal
      faqkb try ENTRY_ID         re-run one entry now and show its output
      faqkb verify --update ID   record what ID's `snapshot: true` commands print
      faqkb new ENTRY_ID ...     start a new entry from a template
      faqkb templates            copy the page templates out, to change how pages look
      faqkb schema [--write]     print the entry schema (or write it for editors)
      faqkb serve-tls            serve one reference-server scenario by hand
      faqkb search QUERY         find the entries that answer a question or error line
      faqkb suggest TITLE [BODY] the entries answering an issue, as a comment to post
      faqkb index --out FILE     export the search index, to search anywhere
    """


_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["text", "github"]), default="text", show_default=True,
    help="github: print each problem as a GitHub Actions ::error annotation at its file and "
         "line, and append a Markdown table to $GITHUB_STEP_SUMMARY when it is set.")


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@_FORMAT
def lint(paths: tuple[Path, ...], fmt: str) -> None:
    """Check the FAQ and report every problem (default: the project's docs/faq, whole).

    PATHS may be FAQ folders (checked whole) and files, from any folder: each file's FAQ is
    found from its mkdocs.yml. An entry file is checked against its whole FAQ, and the
    problems in the named files (and in _sections.yml, _tags.yml) are reported; a side file
    checks its whole FAQ. What a pre-commit hook passes (pass_filenames) is fine.

    Problems are printed as path:line:col: message. Exit 0 when clean, 2 when not.
    """
    from faqkb.load.lintpaths import lint_paths

    report = lint_paths(list(paths))
    for note in report.notes:
        _say(f"faqkb: note: {note}", err=True)
    for c in report.checked:
        if c.elsewhere:
            click.echo(f"faqkb: note: {c.elsewhere} other problem{'s' * (c.elsewhere != 1)} in "
                       f"{c.faq_dir}, in files not named (run `faqkb lint` for all)", err=True)
    if fmt == "github":
        _lint_github(report.problems, ", ".join(str(c.faq_dir) for c in report.checked))
    if report.problems:
        raise ContentError(report.problems)
    if not report.checked:
        click.echo("faqkb: nothing to check in the files given (no entry, no _sections.yml or "
                   "_tags.yml)", err=True)
    for c in report.checked:
        if c.files is None:
            n = c.entries or 0
            click.echo(f"{c.faq_dir}: {n} entr{'y' if n == 1 else 'ies'}, no problems.", err=True)
        else:
            click.echo(f"{c.faq_dir}: {c.files} file{'s' * (c.files != 1)} checked, no problems.",
                       err=True)


def _lint_github(problems: list[Problem], checked: str) -> None:
    """Lint's problems as annotations (stdout) and a step summary; exit 2 if there are any."""
    from faqkb.reports.github import append_step_summary, lint_annotations, lint_summary

    for line in lint_annotations(sorted(problems), Path.cwd()):
        click.echo(line)
    append_step_summary(lint_summary(sorted(problems), Path.cwd(), checked or "faqkb lint"))
    if problems:
        _die(f"faqkb: {plural(len(problems), 'problem')} found; fix them and run again.")


@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False),
              help="Folder to write the docs tree into (created; replaced if it exists).")
@click.option("--no-verify", is_flag=True, help="Render without running commands.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Entries verified in parallel.")
def render(out: str, no_verify: bool, jobs: int | None) -> None:
    """Write the complete docs tree (hand-written pages + rendered FAQ pages) into the
    folder given with --out.

    Any generator that reads mkdocs.yml (for example Zensical) can build the result
    without the faqkb plugin.
    """
    from faqkb.pipeline.sitebuild import render_tree

    built = render_tree(_project(), Path(out), verify=not no_verify, jobs=jobs,
                        progress=lambda m: click.echo(m, err=True))
    click.echo(f"wrote {len(built.pages)} pages into {out}", err=True)


@main.command()
@click.option("--site-dir", type=click.Path(file_okay=False),
              help="Where the site goes (default: site_dir of mkdocs.yml).")
@click.option("--strict", is_flag=True, help="Fail when any command fails or cannot be verified.")
@click.option("--no-verify", is_flag=True, help="Build without running commands (pages say so).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Entries verified in parallel.")
@click.option("--offline", is_flag=True,
              help="A site that works from file:// (no server): .html links, search included.")
def build(site_dir: str | None, strict: bool, no_verify: bool, jobs: int | None, offline: bool) -> None:
    """Verify and build the site. Atomic: a failed build leaves the previous site untouched."""
    from faqkb.pipeline.sitebuild import build_site

    result = build_site(_project(), Path(site_dir) if site_dir else None, strict=strict,
                        verify=not no_verify, jobs=jobs, offline=offline,
                        progress=lambda m: click.echo(m, err=True))
    for line in result.failures:
        _say(f"WARNING: {line}", err=True)
    click.echo(f"site built in {result.site_dir}", err=True)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def show(args: tuple[str, ...]) -> None:
    """Print one entry with its verified transcripts (from the search index).

    faqkb show ID [--json] [--index FILE]; see `faqkb show --help`.
    """
    from faqkb.integrations.search_cmd import show_main

    sys.exit(show_main(list(args)))


@main.command()
@click.argument("entry_ids", nargs=-1, metavar="[ID]...")
@click.option("--only", multiple=True, metavar="ID", help="Verify only this entry (repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), help="Entries run in parallel (default: cores).")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object: commands (entry, index, status, seconds, file, line, "
                   "title, command, failures or reason) and totals.")
@click.option("--no-cache", is_flag=True, help="Re-run everything, ignoring cached results.")
@click.option("--keep", is_flag=True, help="Keep the sandboxes (their paths are printed) for debugging.")
@click.option("--junit", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also write a JUnit XML report (a test case per command) for CI.")
@click.option("--shard", metavar="K/N", help="Run only the K-th of N equal shares of the entries (CI).")
@click.option("--strict", is_flag=True,
              help="Also fail (exit 1) when commands ran without the sandbox (no bwrap here), or "
                   "were not run because a program they require is not installed here.")
@click.option("--update", is_flag=True,
              help="Run the entries with `snapshot: true` commands (the IDs given, or all) and "
                   "record what those commands print into docs/faq/<id>.snap, instead of "
                   "comparing. An entry whose commands fail is not recorded.")
@click.option("--force", is_flag=True,
              help="With --update: record even an entry whose commands fail their expectations.")
@click.option("--changed-since", "changed_since", metavar="REV",
              help="Verify only the entries a change since git revision REV can affect (entry "
                   "files, renames, .snap files; all of them when a snippet, mkdocs.yml or "
                   "faqkb's code changed; those whose cached result has other inputs), saying "
                   "which rule picked each. Combines with --only and --shard.")
@_FORMAT
def verify(entry_ids: tuple[str, ...], only: tuple[str, ...], jobs: int | None, as_json: bool,
           no_cache: bool, keep: bool, junit: str | None, shard: str | None, strict: bool,
           update: bool, force: bool, changed_since: str | None, fmt: str) -> None:
    """Run every entry's commands (or those of the IDs given) and check what they must do.
    Exit 0 all passed, 1 otherwise.

    Results of unchanged entries are reused from .faqkb-cache/ (status "cached"). A
    failure names the file, entry, command (its title, else its first line) and
    expectation, with the tail of its output; a snapshot command whose output differs from
    its <id>.snap shows a diff. Commands that could not run here (for example no apache2)
    count as failures; those not run because a program in their `requires` is missing are
    reported but do not fail the run (--strict: they do). Commands run in a bubblewrap
    sandbox; where it cannot run, a line says so (--strict: exit 1).

    \b
    Snapshots: write the command with `snapshot: true`, then
      faqkb verify --update ID     record its output (volatile parts masked) into <id>.snap
      git diff docs/faq/ID.snap    review what was recorded, then commit it with the entry
    """
    from faqkb.verify.verifier import verify_kb

    if force and not update:
        _die("faqkb: --force only applies to --update")
    if fmt == "github" and as_json:
        _die("faqkb: --json and --format github both print the report; choose one")
    if changed_since and update:
        _die("faqkb: --changed-since selects entries to verify, not to --update; name the IDs")
    project = _project()
    named = list(dict.fromkeys([*only, *entry_ids]))
    kb, ids = _load_for(project, named or None, update)  # unknown ids are problems
    selection = None
    if changed_since:
        selection = _changed(kb, project, changed_since, ids, quiet=as_json)
        ids = list(selection.picked)
    if shard:
        from faqkb.verify.verifier import shard_ids

        try:
            ids = shard_ids(ids if ids is not None else sorted(kb.entries), shard)
        except ValueError as exc:
            _die(f"faqkb: --shard {shard}: {exc}")
    if update:
        ids = _update_targets(kb, ids, bool(named))
    progress = None if as_json else (lambda m: click.echo(m, err=True))
    report = verify_kb(kb, project, jobs=jobs, only=ids, use_cache=not (no_cache or update),
                       progress=progress, keep_sandboxes=keep, check_snapshots=not update)
    recorded = _record(kb, report.results, ids, force) if update else None
    if junit:
        from faqkb.reports.junit import junit_xml, write_junit

        write_junit(Path(junit), junit_xml(kb, report.results, report.seconds, root=project.root,
                                           strict=strict))
    from faqkb.reports.records import records, totals

    if as_json:
        doc = {"commands": records(report, kb, project.root), "totals": totals(report)}
        if selection is not None:
            doc["changed_since"] = {"rev": selection.rev, "picked": selection.picked,
                                    "deleted": selection.deleted}
        click.echo(json.dumps(doc, indent=1))
    else:
        if fmt == "github":
            from faqkb.reports.github import append_step_summary, verify_annotations, verify_summary

            for line in verify_annotations(kb, report.results, project.root, strict=strict):
                click.echo(line)
            append_step_summary(verify_summary(kb, report.results, project.root, totals(report),
                                               heading=f"faqkb verify{f' --shard {shard}' if shard else ''}"))
        from faqkb.reports.text import failure_lines

        for line in failure_lines(kb, report.results):
            _say(line, err=True)
        for er in report.results.values():
            if er.sandbox:
                click.echo(f"kept the sandbox of {er.entry}: {er.sandbox}", err=True)
        for note in report.notes:
            _say(f"faqkb: note: {note}", err=True)
    from faqkb.reports.text import summary_line, unsandboxed_line

    bare = unsandboxed_line(report.results)
    if bare:  # even with --json: on stderr, never silent
        click.echo(bare + (" (--strict: failing)" if strict else ""), err=True)
    excused = sum(c.excused for er in report.results.values() for c in er.commands)
    if excused and strict:
        click.echo(f"faqkb: {plural(excused, 'command')} not run: a program they require is not "
                   "installed here (--strict: failing)", err=True)
    refused = recorded is not None and recorded.refused
    # Last, in every mode (--json too, on stderr): the line a CI log is read for.
    click.echo(summary_line(totals(report)), err=True)
    sys.exit(0 if report.acceptable(strict) and not refused else EXIT_FAILED)


def _changed(kb: KnowledgeBase, project: Project, rev: str, named: list[str] | None, *,
             quiet: bool) -> Selection:
    """The entries changed since ``rev`` (among ``named``, when given), each printed with the
    rule that picked it (on stderr; ``quiet``: only in the JSON)."""
    from faqkb.verify.changes import select_changed
    from faqkb.verify.verifier import entry_keys

    with_commands = [e for e in kb.entries.values() if e.commands]
    selection = select_changed(kb, project, rev, entry_keys(kb, project, with_commands).keys)
    if named is not None:
        selection.picked = {eid: why for eid, why in selection.picked.items() if eid in named}
    if not quiet:
        n = len(selection.picked)
        what = f"{plural(n, 'entry', 'entries')} to verify" if n else "no entry to verify"
        click.echo(f"faqkb: changed since {rev}: {what}" + (":" if selection.lines() else ""), err=True)
        for line in selection.lines():
            _say(line, err=True)
    return selection


def _load_for(project: Project, named: list[str] | None, update: bool) -> tuple[KnowledgeBase,
                                                                             list[str] | None]:
    """The FAQ and the selected ids. ``--update`` loads every entry as selected, so that stale
    snapshot sections (which it removes) do not stop it."""
    if update and named is None:
        from faqkb.load.loader import entry_ids

        return _load(project, entry_ids(project.faq_dir) or None), None
    return _load(project, named), named


def _update_targets(kb: KnowledgeBase, ids: list[str] | None, named: bool) -> list[str]:
    """The entries ``--update`` runs; a named entry with nothing to record is bad usage."""
    from faqkb.snapshots.update import update_targets

    todo, idle = update_targets(kb, ids)
    if named and idle:
        _die(f"faqkb: --update: entry {idle[0]!r} has no `snapshot: true` command, so there is "
             "nothing to record; add `snapshot: true` to one of its commands first")
    if not todo:
        click.echo("faqkb: --update: no entry has a `snapshot: true` command; nothing to record",
                   err=True)
    return todo


def _record(kb: KnowledgeBase, results: dict[str, EntryResult], ids: list[str] | None,
            force: bool) -> Recorded:
    """Write the snapshots of ``ids`` and say what was written, one line an entry."""
    from faqkb.snapshots.update import record

    recorded = record(kb, results, ids or [], force=force)
    for line in recorded.lines:
        _say(f"faqkb: {line}", err=True)
    return recorded


@main.command("try")
@click.argument("entry_id")
@click.option("--keep", is_flag=True, help="Keep the sandbox for inspection.")
@click.option("--update", is_flag=True,
              help="Record what the entry's `snapshot: true` commands print into its .snap file "
                   "(as `faqkb verify --update ID` does), instead of comparing.")
@click.option("--force", is_flag=True,
              help="With --update: record even when commands fail their expectations.")
def try_(entry_id: str, keep: bool, update: bool, force: bool) -> None:
    """Re-run one entry's commands now (no cache) and show each command and its output."""
    from faqkb.reports.text import command_block
    from faqkb.verify.verifier import verify_kb

    if force and not update:
        _die("faqkb: --force only applies to --update")
    project = _project()
    kb = _load(project, [entry_id])
    if update:
        _update_targets(kb, [entry_id], True)

    def show_command(entry: Entry, index: int, res: CommandResult) -> None:
        command, output, status, reasons = command_block(entry, index, res)
        _say(command, bold=True)
        if output:
            _say(output)
        _say(status, fg="green" if res.ok else "red")
        for line in reasons:
            _say(line)
        _say()

    report = verify_kb(kb, project, only=[entry_id], use_cache=False, on_command=show_command,
                       keep_sandboxes=keep, jobs=1, check_snapshots=not update)
    refused = update and _record(kb, report.results, [entry_id], force).refused
    if keep:
        click.echo(f"kept the sandbox: {report.results[entry_id].sandbox}", err=True)
    for note in report.notes:
        _say(f"faqkb: note: {note}", err=True)
    sys.exit(0 if report.acceptable(strict=False) and not refused else EXIT_FAILED)


@main.command("serve-tls")
@click.option("--scenario", default="default", show_default=True,
              help="Which reference-server scenario to serve (see `faqkb serve-tls --list`).")
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--list", "list_", is_flag=True, help="List the scenarios and exit.")
def serve_tls(scenario: str, port: int, list_: bool) -> None:
    """Serve one scenario of the bundled reference TLS server until interrupted.

    Prints one JSON line first: {"host", "port", "cafile", "scenario"}; point curl or
    openssl s_client at it (curl --cacert CAFILE https://localhost:PORT/). Each connection
    is logged to stderr, one line each. SIGTERM, SIGINT (Ctrl-C) and SIGHUP stop it and
    remove its temporary keys.
    """
    from faqkb.tlsserver.scenarios import SCENARIOS

    if list_:
        for name, what in SCENARIOS.items():
            click.echo(f"{name:22} {what.description}")
        return
    if scenario not in SCENARIOS:
        _die(f"faqkb: unknown scenario {scenario!r}; known: {', '.join(SCENARIOS)}")
    from faqkb.tlsserver.server import serve

    try:
        serve(scenario, port, log=sys.stderr)
    except OSError as exc:
        _die(f"faqkb: cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}", EXIT_FAILED)


@main.command()
@click.argument("entry_id")
@click.option("--section", required=True, help="Section id (one of those in _sections.yml).")
@click.option("--question", required=True, help="The question, in the reader's words.")
@click.option("--tag", "tags", multiple=True, metavar="TAG",
              help="A tag (repeatable); checked against _tags.yml when there is one.")
def new(entry_id: str, section: str, question: str, tags: tuple[str, ...]) -> None:
    """Create ENTRY_ID.yml in the FAQ folder from a template (refuses to overwrite).

    Its answer and command are placeholders that `faqkb lint` refuses until you replace
    them. Also writes (or refreshes) the FAQ folder's .entry.schema.json, which the entry
    names for editors; a file of that name faqkb did not write is left alone.
    """
    from faqkb.load.scaffold import new_entry, write_editor_schema

    project = _project()
    path = new_entry(project, entry_id, section, question, list(tags))
    schema, status = write_editor_schema(project.faq_dir)
    if status != "current":
        click.echo(f"{schema}: {status} (the schema editors check entries against)", err=True)
    click.echo(f"created {path}; write its answer and commands, then run `faqkb lint`", err=True)


@main.command()
@click.option("--write", is_flag=True,
              help="Write it into the FAQ folder as .entry.schema.json instead of printing it.")
def schema(write: bool) -> None:
    """Print the JSON Schema of an entry (what `faqkb new` writes for editors).

    With --write: write or refresh the FAQ folder's .entry.schema.json, which entries name
    with `# yaml-language-server: $schema=.entry.schema.json`; a file of that name faqkb did
    not write is left alone (exit 2).
    """
    from faqkb.load.scaffold import editor_schema_text, write_editor_schema

    if not write:
        click.echo(editor_schema_text(), nl=False)
        return
    project = _project()
    if not project.faq_dir.is_dir():
        _die(f"faqkb: FAQ folder {project.faq_dir} not found; create it (with {SECTIONS_FILE}) first")
    path, status = write_editor_schema(project.faq_dir)
    click.echo(f"{path}: {status}", err=True)
    if status.startswith("kept"):
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("directory", default=".", required=False, type=click.Path(file_okay=False))
@click.option("--name", help="The site's name (default: made from the folder's name).")
def init(directory: str, name: str | None) -> None:
    """Start a knowledge base in DIRECTORY (default: here): mkdocs.yml, a home page, one
    section, a tag list, an example entry that verifies, .gitignore, a GitHub Actions
    workflow and a pre-commit hook.

    DIRECTORY must be new or empty (a .git folder is fine); nothing is ever overwritten.
    """
    from faqkb.starter.kb import init_kb

    if name is not None and not name.strip():
        _die("faqkb: --name must not be empty")
    target = Path(directory)
    written = init_kb(target, name)
    base = target.absolute()
    click.echo(f"created a knowledge base in {base}:", err=True)
    for path in written:
        click.echo(f"  {path.relative_to(base)}", err=True)
    steps = [] if base.resolve() == Path.cwd().resolve() else [f"cd {directory}"]
    steps += ["faqkb verify            run the example entry's commands",
              "faqkb build --strict    build the site into site/",
              "mkdocs serve            preview it at http://127.0.0.1:8000/ while you edit",
              'faqkb new ID --section basics --question "How do I ...?"   add a question',
              "git init && pre-commit install   lint the entries before each commit"]
    click.echo("next steps:\n" + "\n".join(f"  {s}" for s in steps), err=True)


@main.command()
@click.option("--out", "out", type=click.Path(file_okay=False),
              help="Folder to copy them into (default: templates_dir of mkdocs.yml, else faqkb_templates).")
def templates(out: str | None) -> None:
    """Copy faqkb's page templates (*.j2) out as a starting point for your own.

    Each template in templates_dir replaces faqkb's of the same name; keep only the ones
    you change, so the others follow faqkb's updates. Refuses to overwrite any file.
    """
    from faqkb.project import DEFAULT_TEMPLATES_DIR
    from faqkb.starter.templates import copy_templates

    project = _project()
    target = Path(out) if out else project.templates_dir or project.root / DEFAULT_TEMPLATES_DIR
    written = copy_templates(target)
    for path in written:
        click.echo(f"wrote {path}", err=True)
    click.echo("edit the ones you want to change and delete the rest; a build uses them when "
               "they are in templates_dir (default: faqkb_templates beside mkdocs.yml)", err=True)


@main.command()
@click.argument("text", nargs=-1)
@click.option("-n", "limit", type=click.IntRange(min=1), default=3, show_default=True,
              help="At most this many entries.")
@click.option("--json", "as_json", is_flag=True,
              help="Print JSON (good, strength, entries with id, question, score, url) instead.")
def suggest(text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Print the entries that already answer an issue, as a Markdown comment to post.

    TEXT is the issue's title, then its body (each an argument); with none, they are read
    from standard input (the first line is the title). Links point at the site when
    mkdocs.yml has a site_url, else name the page. Exit 0 when an entry answers it well,
    1 when none does (nothing printed, so a bot posts nothing).
    """
    from faqkb.project import read_config
    from faqkb.render.links import Urls
    from faqkb.reports.suggest import THRESHOLD, comment, page_url
    from faqkb.reports.suggest import suggest as find
    from faqkb.search.index import ensure_index

    if text:
        title, body = text[0], "\n".join(text[1:])
    else:
        title, _sep, body = sys.stdin.read().strip().partition("\n")
    if not (title + body).strip():
        _die("faqkb: suggest needs the issue's title (and body): as arguments or on standard input")
    project = _project()
    index = ensure_index(project.faq_dir, project.snippets_dir, project.cache_dir)
    found = find(index, title, body, limit)
    site_url = None
    if project.config_file is not None:
        value = read_config(project.config_file).get("site_url")
        site_url = value if isinstance(value, str) and value.strip() else None
    kb = _load(project, [h.id for h in found.hits])
    urls = {h.id: page_url(f"{project.faq_prefix}/{Urls(kb).entry(h.id)}", site_url,
                           project.directory_urls) for h in found.hits}
    if as_json:
        click.echo(json.dumps({"good": found.good, "strength": found.strength, "entries": [
            {"id": h.id, "question": h.question, "score": h.score, "url": urls[h.id]}
            for h in found.hits]}, indent=1))
    elif found.good:
        click.echo(comment(found, urls, site_url is not None), nl=False)
    else:
        click.echo(f"faqkb: no entry answers this well (strength {found.strength:.2f}, "
                   f"{THRESHOLD:.2f} needed); nothing to post", err=True)
    sys.exit(0 if found.good else EXIT_FAILED)


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def search(args: tuple[str, ...]) -> None:
    """Find the entries that answer a question or a pasted error line, offline.

    faqkb search "no shared cipher" [-n N] [--json]; see `faqkb search --help`.
    """
    from faqkb.integrations.search_cmd import main as search_main

    sys.exit(search_main(list(args)))


@main.command("index")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write the index (a file faqkb did not write is never replaced).")
def index_cmd(out: str) -> None:
    """Export this knowledge base's search index, with the verified output of its commands,
    for `faqkb search --index FILE` (or FAQKB_INDEX) anywhere. Run `faqkb verify` first."""
    from faqkb.project import read_config
    from faqkb.search.index import export_index

    project = _project()
    site_url = read_config(project.config_file).get("site_url") if project.config_file else None
    checkable, verified = export_index(project.faq_dir, project.snippets_dir, project.cache_dir,
                                       Path(out), site_url=site_url if isinstance(site_url, str) else None,
                                       faq_prefix=project.faq_prefix)
    click.echo(f"wrote {Path(out).resolve()}: {verified} of {checkable} entries with commands "
               "have verified output", err=True)
    if verified < checkable:
        click.echo("faqkb: run `faqkb verify` first, then export again, or searches will miss the "
                   "output of the others", err=True)


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run() -> None:
    """Entry point that turns stray internal errors into one clear line, not a traceback."""
    import signal

    # A CI runner's cancel (SIGTERM) cleans up exactly like Ctrl-C.
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    # Started with SIGINT ignored (``faqkb build &`` from a script, a CI step in the
    # background), Python would keep ignoring it: ``kill -INT`` and Ctrl-C would then leave
    # verification running to its end. Asked to stop, faqkb stops and cleans up.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        code = main(standalone_mode=False, prog_name="faqkb")
    except (KeyboardInterrupt, click.exceptions.Abort):
        _die("faqkb: interrupted; nothing half-written was kept", 130)
    except click.exceptions.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ContentError as exc:
        _report_problems(exc)
    except FaqkbError as exc:  # each carries its exit status: the one place it is mapped
        _die(f"faqkb: {exc}", exc.exit_code)
    except OSError as exc:  # a read-only checkout, a full disk: the system's reason, no traceback
        where = f": {exc.filename}" if exc.filename else ""
        _die(f"faqkb: {exc.strerror or exc}{where}", EXIT_FAILED)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
