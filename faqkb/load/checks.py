"""Checks of one entry that need more than the schema: the registries it names (sections,
tags, fixtures, scenarios, snippets, placeholders) and its regular expressions; and the
``[text](#id)`` links of its answer.

Each check looks only at values of the right type: the schema layer reports wrong types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faqkb import placeholders
from faqkb._util import did_you_mean
from faqkb.errors import Problem
from faqkb.load.located import KeyPath, Located
from faqkb.model import ENTRY_LINK, HTTPD_SCENARIO, TAGS_FILE, Entry, Section
from faqkb.pki.fixtures import FIXTURES
from faqkb.tlsserver.scenarios import SCENARIOS

PATTERN_FIELDS = ("stdout", "stderr", "output", "stdout_not", "stderr_not", "output_not",
                  "server_log", "server_log_not")
SCENARIO_NAMES = (*SCENARIOS, HTTPD_SCENARIO)


@dataclass(frozen=True)
class Registries:
    """What an entry's names are checked against."""

    sections: list[Section]
    #: The tag vocabulary; None when the FAQ has no tags file (any tag goes).
    tags: dict[str, str] | None
    snippets_dir: Path | None


def _strs(value: Any) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def unknown(doc: Located, path: KeyPath, kind: str, name: str, known: list[str]) -> Problem:
    """``unknown KIND 'name'; did you mean ...?`` at ``path``."""
    return doc.problem(path, f"unknown {kind} {name!r}; {did_you_mean(name, known)}")


def check_entry(doc: Located, path: Path, reg: Registries, *, trusted: bool = False) -> list[Problem]:
    """Every problem of one entry beyond the schema; ``trusted``: its text passed before, so
    the checks that depend on the text alone (regexes) are skipped."""
    d = doc.data
    problems = check_fields(doc, path, reg)
    commands = d.get("commands", [])
    for i, cmd in enumerate(commands if isinstance(commands, list) else []):
        if isinstance(cmd, dict):
            problems += check_command(doc, ("commands", i), cmd, reg, has_httpd="httpd" in d)
            if not trusted:
                problems += check_patterns(doc, ("commands", i), cmd)
    if isinstance(d.get("httpd"), dict):
        problems += check_files(doc, ("httpd",), d["httpd"], reg)
    return problems


def check_fields(doc: Located, path: Path, reg: Registries) -> list[Problem]:
    """The id matches the file name; the section and tags are known."""
    d = doc.data
    problems = []
    if isinstance(d.get("id"), str) and d["id"] != path.stem:
        problems.append(doc.problem(("id",), f"id {d['id']!r} must equal the file name stem {path.stem!r}"))
    known = [s.id for s in reg.sections]
    if known and isinstance(d.get("section"), str) and d["section"] not in known:
        problems.append(unknown(doc, ("section",), "section", d["section"], known))
    tags = d.get("tags", [])
    if reg.tags is not None and isinstance(tags, list):
        for i, tag in enumerate(tags):
            if isinstance(tag, str) and tag not in reg.tags:
                problems.append(unknown(doc, ("tags", i), f"tag (add it to {TAGS_FILE} first)", tag,
                                        list(reg.tags)))
    return problems


def check_files(doc: Located, base: KeyPath, block: dict[str, Any], reg: Registries) -> list[Problem]:
    """The fixtures and snippets a command (or the httpd block) asks for exist, and no two
    fixtures write the same file."""
    problems = []
    seen: dict[str, str] = {}
    for j, name in enumerate(_strs(block.get("fixtures"))):
        if name not in FIXTURES:
            problems.append(unknown(doc, (*base, "fixtures", j), "fixture", name, list(FIXTURES)))
            continue
        for f in FIXTURES[name].files:
            if f in seen and seen[f] != name:
                problems.append(doc.problem((*base, "fixtures", j), f"fixtures {seen[f]!r} and "
                                            f"{name!r} both write {f}; use only one"))
            seen[f] = name
    for j, name in enumerate(_strs(block.get("snippets"))):
        if reg.snippets_dir is None or not (reg.snippets_dir / name).is_file():
            where = reg.snippets_dir if reg.snippets_dir else "the snippets folder"
            problems.append(doc.problem((*base, "snippets", j), f"snippet {name!r} not found in {where}"))
    return problems


def check_command(doc: Located, base: KeyPath, cmd: dict[str, Any], reg: Registries, *,
                  has_httpd: bool) -> list[Problem]:
    """A command's files, scenario and placeholders fit together."""
    problems = check_files(doc, base, cmd, reg)
    scenario = cmd.get("scenario")
    if scenario is not None and scenario not in SCENARIO_NAMES:
        problems.append(unknown(doc, (*base, "scenario"), "scenario", scenario, list(SCENARIO_NAMES)))
    run: str = cmd["run"] if isinstance(cmd.get("run"), str) else ""
    for name in placeholders.unknown_names(run):
        problems.append(doc.problem((*base, "run"), f"unknown placeholder {{{{ {name} }}}}; known: "
                                    + ", ".join(placeholders.NAMES)))
    needs_server = [n for n in placeholders.names_in(run) if n != "cafile"]
    if needs_server and scenario is None:
        problems.append(doc.problem((*base, "run"), f"{{{{ {needs_server[0]} }}}} needs a server; "
                                    "add scenario: to the command"))
    if scenario == HTTPD_SCENARIO and not has_httpd:
        problems.append(doc.problem((*base, "scenario"),
                                    f"scenario {HTTPD_SCENARIO!r} needs an httpd: block in the entry"))
    expect: dict[str, Any] = cmd["expect"] if isinstance(cmd.get("expect"), dict) else {}
    if (expect.get("server_log") or expect.get("server_log_not")) and scenario is None:
        problems.append(doc.problem((*base, "expect", "server_log"),
                                    "server_log expectations need a scenario; add scenario: to the command"))
    return problems


def check_patterns(doc: Located, base: KeyPath, cmd: dict[str, Any]) -> list[Problem]:
    """Every expectation pattern is a valid regular expression."""
    expect: dict[str, Any] = cmd["expect"] if isinstance(cmd.get("expect"), dict) else {}
    problems = []
    for fld in PATTERN_FIELDS:
        for j, pattern in enumerate(_strs(expect.get(fld))):
            try:
                re.compile(pattern)
            except re.error as exc:
                problems.append(doc.problem((*base, "expect", fld, j), f"invalid regular expression "
                                            f"{pattern!r}: {exc}; escape it or fix it"))
    return problems


def check_links(entry: Entry, known: list[str]) -> list[Problem]:
    """``[text](#id)`` links in Markdown must name an entry (they are resolved to its page)."""
    out = []
    source: str | None = None
    for field_name in ("answer", "then_and_now"):
        text = getattr(entry, field_name) or ""
        for m in ENTRY_LINK.finditer(text):
            if m.group(1) in known:
                continue
            if source is None:
                source = entry.path.read_text("utf-8")
            # Block scalars keep the link's text intact, so find it in the file itself.
            at = source.find(m.group(0))
            line = source.count("\n", 0, at) + 1 if at >= 0 else 1
            col = at + 2 - source.rfind("\n", 0, at) if at >= 0 else 1  # at the '#'
            fix = did_you_mean(m.group(1), known, show=lambda h: f"#{h}", otherwise="link to an entry id")
            out.append(Problem(str(entry.path), line, col,
                               f"{field_name} links to #{m.group(1)}, which is no entry; {fix}"))
    return out
