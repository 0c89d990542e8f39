"""Load and validate a FAQ directory, reporting every problem with its position.

A FAQ directory holds one ``<id>.yml`` per entry, ``_sections.yml`` (section ids,
titles and order) and optionally ``_tags.yml`` (the allowed tags). Validation runs
in layers: YAML syntax and duplicate keys, then the JSON Schema, then checks that
need the whole knowledge base (ids, sections, see_also, fixtures, scenarios,
snippets, regexes). Every problem in every file is collected before reporting.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from faqkb import placeholders
from faqkb.errors import ContentError, Problem
from faqkb.load import located as yamlsrc
from faqkb.load.schema import SchemaMemo, schema_problems
from faqkb.load.sidefiles import TAGS_FILE, load_sections, load_tags
from faqkb.model import ENTRY_LINK, Command, Entry, Httpd, KnowledgeBase, Legacy, Section
from faqkb.pki.fixtures import FIXTURES
from faqkb.tlsserver.scenarios import SCENARIOS

HTTPD_SCENARIO = "httpd"
_SEE_ALSO = "unknown see_also entry"
_PATTERN_FIELDS = (
    "stdout",
    "stderr",
    "output",
    "stdout_not",
    "stderr_not",
    "output_not",
    "server_log",
    "server_log_not",
)



def _build_entry(doc: yamlsrc.Located, path: Path) -> Entry:
    d = doc.data
    commands = tuple(
        Command.from_dict(c, line=doc.where(("commands", i))[0])
        for i, c in enumerate(d.get("commands", []))
    )
    return Entry(
        id=d["id"],
        section=d["section"],
        question=d["question"].strip(),
        answer=d["answer"],
        path=path,
        legacy=tuple(Legacy(**x) for x in d["legacy"]),
        aliases=tuple(d.get("aliases", ())),
        tags=tuple(d.get("tags", ())),
        then_and_now=d.get("then_and_now"),
        see_also=tuple(d.get("see_also", ())),
        commands=commands,
        httpd=Httpd.from_dict(d["httpd"]) if "httpd" in d else None,
    )


def _unknown(doc: yamlsrc.Located, path: tuple[str | int, ...], kind: str, name: str,
             known: list[str]) -> Problem:
    hint = difflib.get_close_matches(name, known, n=1)
    fix = f"did you mean {hint[0]!r}?" if hint else f"known: {', '.join(sorted(known)) or 'none'}"
    return doc.problem(path, f"unknown {kind} {name!r}; {fix}")


def _check_entry(
    doc: yamlsrc.Located,
    path: Path,
    sections: list[Section],
    tags: dict[str, str] | None,
    snippets_dir: Path | None,
    *,
    trusted: bool = False,
) -> list[Problem]:
    """Checks that need more than the schema but only this one file (plus registries)."""
    d = doc.data
    problems: list[Problem] = []

    def strs(value: Any) -> list[str]:
        # The schema layer reports wrong types; here we only look at what is well-formed.
        return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []

    if isinstance(d.get("id"), str) and d["id"] != path.stem:
        problems.append(
            doc.problem(("id",), f"id {d['id']!r} must equal the file name stem {path.stem!r}")
        )
    if sections and isinstance(d.get("section"), str) and d["section"] not in {s.id for s in sections}:
        problems.append(_unknown(doc, ("section",), "section", d["section"], [s.id for s in sections]))
    if tags is not None:
        for i, tag in enumerate(d.get("tags", [])):
            if isinstance(tag, str) and tag not in tags:
                problems.append(
                    _unknown(doc, ("tags", i), f"tag (add it to {TAGS_FILE} first)", tag, list(tags))
                )
    scenario_names = [*SCENARIOS, HTTPD_SCENARIO]

    def check_fixtures(base: tuple[str | int, ...], names: list[str]) -> None:
        seen: dict[str, str] = {}
        for j, name in enumerate(names):
            if name not in FIXTURES:
                problems.append(_unknown(doc, (*base, j), "fixture", name, list(FIXTURES)))
                continue
            for f in FIXTURES[name].files:
                if f in seen and seen[f] != name:
                    problems.append(
                        doc.problem(
                            (*base, j),
                            f"fixtures {seen[f]!r} and {name!r} both write {f}; use only one",
                        )
                    )
                seen[f] = name

    def check_snippets(base: tuple[str | int, ...], names: list[str]) -> None:
        for j, name in enumerate(names):
            if snippets_dir is None or not (snippets_dir / name).is_file():
                where = snippets_dir if snippets_dir else "the snippets folder"
                problems.append(doc.problem((*base, j), f"snippet {name!r} not found in {where}"))

    commands = d.get("commands", [])
    for i, cmd in enumerate(commands if isinstance(commands, list) else []):
        if not isinstance(cmd, dict):
            continue
        base: tuple[str | int, ...] = ("commands", i)
        check_fixtures((*base, "fixtures"), strs(cmd.get("fixtures")))
        check_snippets((*base, "snippets"), strs(cmd.get("snippets")))
        scenario = cmd.get("scenario")
        if scenario is not None and scenario not in scenario_names:
            problems.append(_unknown(doc, (*base, "scenario"), "scenario", scenario, scenario_names))
        run = cmd.get("run") if isinstance(cmd.get("run"), str) else ""
        for name in placeholders.unknown_names(run):
            problems.append(
                doc.problem(
                    (*base, "run"),
                    f"unknown placeholder {{{{ {name} }}}}; known: "
                    + ", ".join(placeholders.NAMES),
                )
            )
        needs_server = [n for n in placeholders.names_in(run) if n != "cafile"]
        if needs_server and scenario is None:
            problems.append(
                doc.problem(
                    (*base, "run"),
                    f"{{{{ {needs_server[0]} }}}} needs a server; add scenario: to the command",
                )
            )
        if scenario == HTTPD_SCENARIO and "httpd" not in d:
            problems.append(
                doc.problem((*base, "scenario"), "scenario 'httpd' needs an httpd: block in the entry")
            )
        expect = cmd.get("expect") if isinstance(cmd.get("expect"), dict) else {}
        for fld in () if trusted else _PATTERN_FIELDS:  # a memoized text compiled before
            for j, pattern in enumerate(strs(expect.get(fld))):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    problems.append(
                        doc.problem(
                            (*base, "expect", fld, j),
                            f"invalid regular expression {pattern!r}: {exc}; escape it or fix it",
                        )
                    )
        if (expect.get("server_log") or expect.get("server_log_not")) and scenario is None:
            problems.append(
                doc.problem(
                    (*base, "expect", "server_log"),
                    "server_log expectations need a scenario; add scenario: to the command",
                )
            )
    if isinstance(d.get("httpd"), dict):
        check_fixtures(("httpd", "fixtures"), strs(d["httpd"].get("fixtures")))
        check_snippets(("httpd", "snippets"), strs(d["httpd"].get("snippets")))
    return problems




def _check_links(entry: Entry, known: list[str]) -> list[Problem]:
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
            hint = difflib.get_close_matches(m.group(1), known, n=1)
            fix = f"did you mean #{hint[0]}?" if hint else "link to an entry id"
            out.append(Problem(str(entry.path), line, col,
                               f"{field_name} links to #{m.group(1)}, which is no entry; {fix}"))
    return out


def load_kb(
    faq_dir: Path,
    snippets_dir: Path | None = None,
    *,
    only: list[str] | None = None,
    schema_memo: Path | None = None,
) -> KnowledgeBase:
    """Load every entry below ``faq_dir``; raise :class:`ContentError` listing every problem.

    With ``only``, problems in other files are tolerated (kept in ``kb.problems``), so one
    author's unfinished entry does not stop another from running theirs.
    """
    faq_dir = Path(faq_dir)
    problems: list[Problem] = []
    if not faq_dir.is_dir():
        raise ContentError([Problem(str(faq_dir), 1, 1, "FAQ directory not found")])
    section_docs: dict[str, tuple[yamlsrc.Located, int]] = {}
    sections = load_sections(faq_dir, problems, section_docs)
    tags = load_tags(faq_dir, problems)
    memo = SchemaMemo(schema_memo)
    entries: dict[str, Entry] = {}
    pending_see_also: list[tuple[yamlsrc.Located, list[Any]]] = []
    for path in sorted(faq_dir.glob("*.yml")) + sorted(faq_dir.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        try:
            text = path.read_text("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), 1, 1, f"not UTF-8 text ({exc.reason}); re-save as UTF-8"))
            continue
        doc = yamlsrc.load(text, str(path))
        problems.extend(doc.problems)
        if doc.data is None:
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.problem((), "an entry must be a mapping of fields (id, question, ...)"))
            continue
        digest = memo.digest(text)
        trusted = digest in memo.known and not doc.problems
        invalid = [] if trusted else schema_problems(doc)
        checked = _check_entry(doc, path, sections, tags, snippets_dir, trusted=trusted)
        if not (invalid or checked or doc.problems):
            memo.seen.add(digest)  # only a text with no problem at all is trusted next time
        problems.extend(invalid)
        problems.extend(checked)
        see_also = doc.data.get("see_also")
        if isinstance(see_also, list):
            pending_see_also.append((doc, see_also))
        if invalid or doc.problems:
            continue
        entry_id = doc.data["id"]
        if entry_id in entries:
            problems.append(
                doc.problem(("id",), f"duplicate id {entry_id!r} (also in {entries[entry_id].path})")
            )
            continue
        entries[entry_id] = _build_entry(doc, path)
    known = sorted({p.stem for p in faq_dir.glob("*.y*ml") if not p.name.startswith("_")})
    for entry in entries.values():
        problems.extend(_check_links(entry, known))
    for doc, see_also in pending_see_also:
        for i, other in enumerate(see_also):
            if not isinstance(other, str):
                continue
            if other not in known:
                hint = difflib.get_close_matches(other, known, n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"there is no {other}.yml in {faq_dir}"
                problems.append(doc.problem(("see_also", i), f"{_SEE_ALSO} {other!r}; {fix}"))
            elif other == Path(doc.path).stem:
                problems.append(doc.problem(("see_also", i), "an entry cannot see_also itself"))
    for section in sections:
        sdoc, i = section_docs[section.id]
        for j, eid in enumerate(section.order):
            if eid in entries and entries[eid].section != section.id:
                problems.append(sdoc.problem((i, "entries", j),
                                             f"entry {eid!r} is in section {entries[eid].section!r}, "
                                             f"not {section.id!r}; move it to that section's list"))
            elif eid not in known:
                problems.append(sdoc.problem((i, "entries", j), f"no entry {eid!r} (no {eid}.yml)"))
    memo.save()
    blocking = problems
    if only is not None:
        mine = {str(faq_dir / f"{i}.yml") for i in only} | {str(faq_dir / f"{i}.yaml") for i in only}
        # A see_also to an entry not written yet does not stop its commands from running.
        blocking = [
            p for p in problems
            if (p.path in mine and not p.message.startswith(_SEE_ALSO))
            or Path(p.path).name.startswith("_")
        ]
        missing = [i for i in only if i not in entries and not any(p.path in mine for p in problems)]
        for i in missing:
            hint = difflib.get_close_matches(i, list(entries), n=3)
            fix = f"did you mean {', '.join(hint)}?" if hint else "check the id (the file name stem)"
            blocking.append(Problem(str(faq_dir / f"{i}.yml"), 1, 1, f"no entry {i!r}; {fix}"))
    if blocking:
        raise ContentError(blocking)
    return KnowledgeBase(
        root=faq_dir, sections=sections, entries=entries, snippets_dir=snippets_dir, tags=tags or {},
        problems=[p for p in problems if p not in blocking],
    )


def lint(faq_dir: Path, snippets_dir: Path | None = None) -> list[Problem]:
    """Every problem in ``faq_dir``, sorted by file and position (empty when clean)."""
    try:
        load_kb(faq_dir, snippets_dir)
    except ContentError as exc:
        return exc.problems
    return []
