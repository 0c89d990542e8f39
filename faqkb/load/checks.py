"""Checks of one entry that need more than the schema: the registries it names (sections,
tags, fixtures, scenarios, snippets, placeholders) and its regular expressions; and the
``[text](#id)`` links of its answer.

Each check looks only at values of the right type: the schema layer reports wrong types.
"""

from __future__ import annotations

import math
import posixpath
import re
import re._constants as _sre_constants  # type: ignore[import-not-found]
import re._parser as _sre_parser  # type: ignore[import-not-found]
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faqkb import placeholders
from faqkb._util import did_you_mean
from faqkb.errors import Kind, Problem
from faqkb.httpd.config import HttpdError, files_target, listened_ports, safe_relative
from faqkb.load.located import KeyPath, Located
from faqkb.model import ENTRY_LINK, HTTPD_SCENARIO, TAGS_FILE, VERSION_CLAUSE, Entry, Section
from faqkb.pki.fixtures import FIXTURES
from faqkb.tlsserver.scenarios import SCENARIOS

PATTERN_FIELDS = ("stdout", "stderr", "output", "stdout_not", "stderr_not", "output_not",
                  "server_log", "server_log_not")
SCENARIO_NAMES = (*SCENARIOS, HTTPD_SCENARIO)
#: Variables of the sandbox environment an entry's ``env`` cannot change, and what readers see.
FIXED_ENV = {"HOME": "their home directory", "TMPDIR": "/tmp"}
#: A command is one argument of bash -c: the kernel takes at most 128 KiB (MAX_ARG_STRLEN).
MAX_RUN_BYTES = 100_000
#: What ``faqkb new`` writes for the answer and the command; an entry still holding either is
#: refused, so that an untouched draft is never published.
PLACEHOLDER_ANSWER = "Write the answer here, in Markdown (faqkb lint fails until you do)."
PLACEHOLDER_RUN = "echo 'Replace this with the command the answer tells readers to run'"
#: The answer placeholder of earlier faqkb versions: drafts they made are still drafts.
_OLD_PLACEHOLDER_ANSWERS = ("Write today's answer here, in Markdown.",)


@dataclass(frozen=True)
class Registries:
    """What an entry's names are checked against."""

    sections: list[Section]
    #: The tag vocabulary; None when the FAQ has no tags file (any tag goes).
    tags: dict[str, str] | None
    snippets_dir: Path | None
    #: The project's tools (``expect.when`` names only these); None: not checked.
    tools: tuple[str, ...] | None = None


def _strs(value: Any) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def unknown(doc: Located, path: KeyPath, kind: str, name: str, known: list[str]) -> Problem:
    """``unknown KIND 'name'; did you mean ...?`` at ``path``."""
    return doc.problem(path, f"unknown {kind} {name!r}; {did_you_mean(name, known)}")


def check_entry(doc: Located, path: Path, reg: Registries, *, trusted: bool = False) -> list[Problem]:
    """Every problem of one entry beyond the schema; ``trusted``: its text passed before, so
    the checks that depend on the text alone (regexes) are skipped."""
    d = doc.data
    problems = check_fields(doc, path, reg) + check_placeholders(doc)
    problems += check_env(doc, ("env",), d.get("env"))
    commands = d.get("commands", [])
    httpd = d.get("httpd")
    config = httpd.get("config") if isinstance(httpd, dict) else None
    ports = frozenset(listened_ports(config)) if isinstance(config, str) else frozenset[int]()
    for i, cmd in enumerate(commands if isinstance(commands, list) else []):
        if isinstance(cmd, dict):
            problems += check_command(doc, ("commands", i), cmd, reg, has_httpd="httpd" in d,
                                      ports=ports)
            problems += check_env(doc, ("commands", i, "env"), cmd.get("env"))
            if not trusted:
                problems += check_patterns(doc, ("commands", i), cmd)
    if isinstance(d.get("httpd"), dict):
        problems += check_files(doc, ("httpd",), d["httpd"], reg)
        problems += check_httpd_paths(doc, d["httpd"])
    return problems


def check_httpd_paths(doc: Located, httpd: dict[str, Any]) -> list[Problem]:
    """Every place the httpd block writes to stays inside the sandbox (as the runner maps it)."""
    problems = []
    paths: dict[str, Any] = httpd["paths"] if isinstance(httpd.get("paths"), dict) else {}
    good: list[tuple[str, str]] = []
    for reader, rel in paths.items():
        if not isinstance(rel, str):
            continue
        if not reader.startswith("/"):
            problems.append(doc.problem(("httpd", "paths", reader), f"httpd.paths key {reader[:60]!r} "
                                        "must be an absolute reader path (/srv/www)", key=True))
            continue
        try:
            safe_relative(rel, "httpd.paths")
            good.append((reader, rel))
        except HttpdError as exc:
            problems.append(doc.problem(("httpd", "paths", reader), f"{exc}"))
    files: dict[str, Any] = httpd["files"] if isinstance(httpd.get("files"), dict) else {}
    for name in files:
        try:
            files_target(name, tuple(good))
        except HttpdError as exc:
            problems.append(doc.problem(("httpd", "files", name), f"{exc}", key=True))
    return problems


def check_placeholders(doc: Located) -> list[Problem]:
    """The answer or a command is still what ``faqkb new`` wrote."""
    d = doc.data
    problems = []
    answer = d.get("answer")
    if isinstance(answer, str) and any(p in answer for p in (PLACEHOLDER_ANSWER,
                                                             *_OLD_PLACEHOLDER_ANSWERS)):
        problems.append(doc.problem(("answer",), "the answer is still faqkb new's placeholder; "
                                    "write the answer").with_kind(Kind.DRAFT))
    commands = d.get("commands")
    for i, cmd in enumerate(commands if isinstance(commands, list) else []):
        if isinstance(cmd, dict) and isinstance(cmd.get("run"), str) and PLACEHOLDER_RUN in cmd["run"]:
            problems.append(doc.problem(("commands", i, "run"), f"command {i + 1} is still faqkb "
                                        "new's placeholder; write the command the answer tells "
                                        "readers to run, or delete it").with_kind(Kind.DRAFT))
    return problems


def check_env(doc: Located, base: KeyPath, env: Any) -> list[Problem]:
    """An ``env`` keeps what faqkb's sandbox relies on: PATH may be extended (it must keep
    ``$PATH``, so the system's programs and faqkb's wrappers stay reachable); HOME and TMPDIR
    point into the sandbox and cannot be changed."""
    if not isinstance(env, dict):
        return []
    problems = []
    for name, value in env.items():
        if name in FIXED_ENV:
            problems.append(doc.problem((*base, name), f"env {name} cannot be set: faqkb points it "
                                        "into the sandbox (the reader sees "
                                        f"{FIXED_ENV[name]}); remove it", key=True))
        elif name == "PATH" and isinstance(value, str) and not re.search(r"\$(PATH\b|\{PATH\})", value):
            problems.append(doc.problem((*base, name), "env PATH must keep the default PATH: add "
                                        f"to it, e.g. PATH: {value or '/opt/tool/bin'}:$PATH"))
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
        why = _snippet_problem(name, reg.snippets_dir)
        if why:
            problems.append(doc.problem((*base, "snippets", j), why))
    return problems


def _snippet_problem(name: str, snippets_dir: Path | None) -> str | None:
    """Why ``name`` is no snippet a command may copy into its sandbox, or None."""
    shown = name if len(name) <= 60 else name[:57] + "..."
    norm = posixpath.normpath(name) if name else ""
    if (not name or name.startswith("/") or norm != name.rstrip("/") or norm.split("/")[0] == ".."
            or any(len(part) > 255 for part in norm.split("/"))):
        return (f"snippet {shown!r} must be a plain relative path inside the snippets folder "
                "(no leading /, no .., at most 255 characters a part)")
    where = snippets_dir if snippets_dir else "the snippets folder"
    try:
        path = (snippets_dir / name) if snippets_dir else None
        ok = (path is not None and snippets_dir is not None and path.is_file()
              and path.resolve().is_relative_to(snippets_dir.resolve()))
    except OSError:
        ok = False
    return None if ok else f"snippet {shown!r} not found in {where}"


def check_command(doc: Located, base: KeyPath, cmd: dict[str, Any], reg: Registries, *,
                  has_httpd: bool, ports: frozenset[int] = frozenset()) -> list[Problem]:
    """A command's files, scenario and placeholders fit together."""
    problems = check_files(doc, base, cmd, reg)
    scenario = cmd.get("scenario")
    if not isinstance(scenario, str):  # a wrong type is the schema's to report
        scenario = None
    if scenario is not None and scenario not in SCENARIO_NAMES:
        problems.append(unknown(doc, (*base, "scenario"), "scenario", scenario, list(SCENARIO_NAMES)))
    run: str = cmd["run"] if isinstance(cmd.get("run"), str) else ""
    if "\0" in run:
        problems.append(doc.problem((*base, "run"), "run contains a NUL character, which no shell "
                                    "command can hold; remove it (printf '\\0' writes one)"))
    if len(run.encode("utf-8", "replace")) > MAX_RUN_BYTES:
        problems.append(doc.problem((*base, "run"), f"run is longer than {MAX_RUN_BYTES} bytes; "
                                    "put a long script in snippets/ and run that"))
    if placeholders.unclosed(run):
        problems.append(doc.problem((*base, "run"), "a {{ live: or {{ show: placeholder is never "
                                    "closed; end it with }}"))
    for name in placeholders.unknown_names(run):
        problems.append(doc.problem((*base, "run"), f"unknown placeholder {{{{ {name} }}}}; known: "
                                    + ", ".join(placeholders.NAMES)))
    for name in placeholders.names_in(run):
        port = placeholders.other_port(name)
        if port in (80, 443):
            problems.append(doc.problem((*base, "run"), f"{{{{ {name} }}}}: write {{{{ "
                                        f"{'http_port' if port == 80 else 'port'} }}}} for port {port}"))
        elif port is not None and port not in ports:
            problems.append(doc.problem((*base, "run"), f"{{{{ {name} }}}}: the entry's httpd config "
                                        f"does not listen on port {port}; add `Listen {port}` to "
                                        "httpd.config, or use {{ port }}"))
        elif port is not None and scenario not in (None, HTTPD_SCENARIO):
            problems.append(doc.problem((*base, "scenario"), f"{{{{ {name} }}}} is a port of the "
                                        f"entry's httpd; use scenario: {HTTPD_SCENARIO}"))
    needs_server = [n for n in placeholders.names_in(run) if n != "cafile"]
    if needs_server and scenario is None:
        problems.append(doc.problem((*base, "run"), f"{{{{ {needs_server[0]} }}}} needs a server; "
                                    "add scenario: to the command"))
    if scenario == HTTPD_SCENARIO and not has_httpd:
        problems.append(doc.problem((*base, "scenario"),
                                    f"scenario {HTTPD_SCENARIO!r} needs an httpd: block in the entry"))
    timeout = cmd.get("timeout")
    if isinstance(timeout, float) and not math.isfinite(timeout):
        problems.append(doc.problem((*base, "timeout"), "timeout must be a number of seconds, "
                                    "not NaN or infinity"))
    expect: dict[str, Any] = cmd["expect"] if isinstance(cmd.get("expect"), dict) else {}
    for where, block in expect_blocks(base, expect):
        for j, name in enumerate(_strs(block.get("files"))):
            norm = posixpath.normpath(name)
            if name.startswith("/") or norm.split("/")[0] == "..":
                problems.append(doc.problem((*where, "files", j), f"expect.files {name[:60]!r} "
                                            "must be a path inside the sandbox (relative, no ..)"))
        if (block.get("server_log") or block.get("server_log_not")) and scenario is None:
            problems.append(doc.problem((*where, "server_log"), "server_log expectations need a "
                                        "scenario; add scenario: to the command"))
    problems += check_when(doc, base, expect, reg)
    if cmd.get("snapshot") not in (None, False) and cmd.get("show") == "none":
        problems.append(doc.problem((*base, "snapshot"), "a snapshot records the output the page "
                                    "shows, and show: none shows none; show it, or check it with "
                                    "expect: instead"))
    return problems


def expect_blocks(base: KeyPath, expect: dict[str, Any]) -> list[tuple[KeyPath, dict[str, Any]]]:
    """A command's ``expect`` and each of its ``when`` cases, with where each one is."""
    cases = expect.get("when")
    return [((*base, "expect"), expect)] + [
        ((*base, "expect", "when", i), case)
        for i, case in enumerate(cases if isinstance(cases, list) else []) if isinstance(case, dict)]


def check_when(doc: Located, base: KeyPath, expect: dict[str, Any], reg: Registries) -> list[Problem]:
    """Each ``expect.when`` case names the project's tools, with conditions faqkb can read."""
    problems = []
    for where, case in expect_blocks(base, expect)[1:]:
        versions = case.get("versions")
        for name, cond in (versions.items() if isinstance(versions, dict) else ()):
            if reg.tools is not None and name not in reg.tools:
                hint = did_you_mean(name, reg.tools, otherwise=f"the project's tools are "
                                    f"{', '.join(reg.tools)}; declare others in the faqkb plugin "
                                    "option tools")
                problems.append(doc.problem((*where, "versions", name), f"unknown tool {name!r}; "
                                            f"{hint}", key=True))
            if isinstance(cond, str) and not all(VERSION_CLAUSE.match(c) for c in cond.split(",")):
                problems.append(doc.problem((*where, "versions", name), f"version condition "
                                            f"{cond[:40]!r} for {name} is not one faqkb reads; write "
                                            "clauses like >=3.5 or <3.5 (>=, <=, >, <, ==, !=, then "
                                            "dotted numbers), joined by commas: >=3.0,<3.5"))
        if isinstance(versions, dict) and len(case) == 2:  # versions and says, nothing to change
            problems.append(doc.problem(where, "this when case changes no expectation; give the "
                                        "keys that differ with these versions (stdout: [...], ...)"))
    return problems


def check_patterns(doc: Located, base: KeyPath, cmd: dict[str, Any]) -> list[Problem]:
    """Every expectation pattern and snapshot mask is a valid regular expression."""
    expect: dict[str, Any] = cmd["expect"] if isinstance(cmd.get("expect"), dict) else {}
    places: list[tuple[KeyPath, str]] = [((*where, fld, j), pattern)
                                         for where, block in expect_blocks(base, expect)
                                         for fld in PATTERN_FIELDS
                                         for j, pattern in enumerate(_strs(block.get(fld)))]
    snapshot = cmd.get("snapshot")
    masks = _strs(snapshot.get("mask")) if isinstance(snapshot, dict) else []
    places += [((*base, "snapshot", "mask", j), pattern) for j, pattern in enumerate(masks)]
    problems = []
    for where, pattern in places:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            problems.append(doc.problem(where, f"invalid regular expression {pattern[:80]!r}: {exc}; "
                                        "escape it or fix it"))
            continue
        if nested_repeat(pattern):
            problems.append(doc.problem(where, f"regular expression {pattern[:80]!r} repeats a "
                                        "repeat, like (a+)+, which can take exponential time on a "
                                        "non-match; simplify it"))
        elif "mask" in where and compiled.search("") is not None:
            problems.append(doc.problem(where, f"mask {pattern[:80]!r} matches empty text, so it "
                                        "would mask nothing useful; make it match at least one "
                                        "character (x+, not x*)"))
    return problems


def nested_repeat(pattern: str) -> bool:
    """True when ``pattern`` has an unbounded repeat inside another (``(a+)+``, ``(a*)*``): the
    shape that makes backtracking exponential on output that almost matches."""
    try:
        parsed = _sre_parser.parse(pattern)
    except Exception:  # an internal parser: when in doubt, the compile check above decides
        return False

    def walk(items: Any, inside: bool) -> bool:
        for op, av in items:
            if op in (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT):
                unbounded = av[1] == _sre_constants.MAXREPEAT or av[1] > 100
                if unbounded and inside:
                    return True
                if walk(av[2], inside or unbounded):
                    return True
            elif op in (_sre_constants.SUBPATTERN,):
                if walk(av[-1], inside):
                    return True
            elif op == _sre_constants.BRANCH:
                if any(walk(alt, inside) for alt in av[1]):
                    return True
        return False

    return walk(parsed, False)


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
