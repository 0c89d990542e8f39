"""GitHub Actions output: ``::error`` workflow commands and the job's Markdown summary.

Each failure becomes one annotation, ``::error file=F,line=L,col=C,title=T::message``, so the
pull request shows it on the failing command's own line of the entry file. Values are escaped
as the workflow-command rules say (``%``, CR and LF everywhere; ``:`` and ``,`` in properties
too): an entry's text or a command's output cannot end the annotation early or start another.
Paths are relative to ``$GITHUB_WORKSPACE`` (the repository root GitHub names files by) when
the file is inside it, else to the project root.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from faqkb._util import plural
from faqkb.errors import Problem
from faqkb.model import KnowledgeBase
from faqkb.reports.text import command_name
from faqkb.results import EntryResult


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped (in that order: ``%`` first)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, message: str, *, file: str, line: int, col: int, title: str) -> str:
    """One ``::error`` (or ``::warning``) line."""
    props = ",".join(f"{k}={escape_property(str(v))}" for k, v in
                     (("file", file), ("line", line), ("col", col), ("title", title)))
    return f"::{level} {props}::{escape_data(message)}"


def repo_path(path: Path | str, root: Path, env: Mapping[str, str] | None = None) -> str:
    """``path`` as GitHub names it: relative to ``$GITHUB_WORKSPACE`` when inside it, else to
    ``root`` (the project's)."""
    env = os.environ if env is None else env
    absolute = Path(os.path.abspath(path))
    for base in ([Path(env["GITHUB_WORKSPACE"])] if env.get("GITHUB_WORKSPACE") else []) + [root]:
        try:
            return absolute.relative_to(Path(os.path.abspath(base))).as_posix()
        except ValueError:
            continue
    return os.path.relpath(absolute, root)


def _run_positions(path: Path) -> dict[int, tuple[int, int]]:
    """Command index -> (line, column) of its ``run:`` key in the entry file: the command's own
    line, even under a ``title:`` written first. Empty if the file no longer reads."""
    from faqkb.load.located import load, read_source  # only when there is a failure to place

    text, _ = read_source(path)
    if text is None:
        return {}
    try:
        doc = load(text, str(path))
        commands = doc.data.get("commands") if isinstance(doc.data, dict) else None
        return {i: doc.where(("commands", i, "run"), key=True)
                for i, c in enumerate(commands or []) if isinstance(c, dict) and "run" in c}
    except (KeyError, IndexError, TypeError, ValueError):  # edited since: the loaded line
        return {}


def verify_annotations(kb: KnowledgeBase, results: Mapping[str, EntryResult], root: Path, *,
                       strict: bool = False) -> list[str]:
    """One annotation per command that is not ok: an error, or a warning for one not run
    because a program it requires is missing (an error with ``strict``)."""
    out = []
    for entry_id, er in results.items():
        entry = kb.entries[entry_id]
        bad = [c for c in er.commands if not c.ok]
        where = _run_positions(entry.path) if bad else {}
        for c in bad:
            cmd = entry.commands[c.index]
            line, col = where.get(c.index, (cmd.line, 1))
            level = "warning" if c.excused and not strict else "error"
            title = f"{entry_id}: command {c.index + 1} {c.status.upper()}: {command_name(cmd)}"
            out.append(annotation(level, "\n".join(c.why), file=repo_path(entry.path, root),
                                  line=line, col=col, title=title))
    return out


def lint_annotations(problems: Iterable[Problem], root: Path) -> list[str]:
    """One ``::error`` per lint problem, at its line and column."""
    return [annotation("error", p.message, file=repo_path(p.path, root), line=p.line, col=p.col,
                       title="faqkb lint") for p in problems]


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, no ``|`` breaking the row."""
    return " ".join(text.split()).replace("|", "\\|")


def verify_summary(kb: KnowledgeBase, results: Mapping[str, EntryResult], root: Path,
                   totals: Mapping[str, object], *, heading: str = "faqkb verify") -> str:
    """The job summary: the counts, then a table of the commands that are not ok."""
    lines = [f"### {heading}", "",
             "| commands | entries | passed | cached | failed | unverified | seconds |",
             "|---:|---:|---:|---:|---:|---:|---:|",
             "| " + " | ".join(str(totals[k]) for k in ("commands", "entries", "passed", "cached",
                                                          "failed", "unverified", "seconds")) + " |", ""]
    bad = [(eid, c) for eid, er in results.items() for c in er.commands if not c.ok]
    if not bad:
        return "\n".join([*lines, "Every command did what its entry says.", ""])
    lines += ["| entry | command | status | where | why |", "|---|---|---|---|---|"]
    places: dict[str, dict[int, tuple[int, int]]] = {}
    for eid, c in bad:
        entry = kb.entries[eid]
        cmd = entry.commands[c.index]
        where = places.setdefault(eid, _run_positions(entry.path))
        line = where.get(c.index, (cmd.line, 1))[0]
        why = c.why[0].split("\n")[0] if c.why else ""
        lines.append(f"| `{eid}` | {c.index + 1}: {_cell(command_name(cmd))} | {c.status} | "
                     f"`{repo_path(entry.path, root)}:{line}` | {_cell(why)} |")
    return "\n".join([*lines, ""])


def lint_summary(problems: list[Problem], root: Path, checked: str) -> str:
    """The job summary of a lint: the problems as a table (or that there are none)."""
    lines = ["### faqkb lint", ""]
    if not problems:
        return "\n".join([*lines, f"{checked}: no problems.", ""])
    lines += [f"{plural(len(problems), 'problem')}:", "", "| where | problem |", "|---|---|"]
    lines += [f"| `{repo_path(p.path, root)}:{p.line}:{p.col}` | {_cell(p.message)} |" for p in problems]
    return "\n".join([*lines, ""])


def append_step_summary(markdown: str, env: Mapping[str, str] | None = None) -> Path | None:
    """Append ``markdown`` to the file ``$GITHUB_STEP_SUMMARY`` names (GitHub's protocol is to
    append: other steps write there too); None when it is not set."""
    env = os.environ if env is None else env
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return None
    path = Path(target)
    with path.open("a", encoding="utf-8") as f:
        f.write(markdown + "\n")
    return path
