"""Load and validate a FAQ directory, reporting every problem with its position.

A FAQ directory holds one ``<id>.yml`` per entry, ``_sections.yml`` (section ids,
titles and order) and optionally ``_tags.yml`` (the allowed tags). Validation runs
in layers: YAML syntax and duplicate keys, then the JSON Schema, then checks that
need the whole knowledge base (ids, sections, see_also, fixtures, scenarios,
snippets, regexes). Every problem in every file is collected before reporting.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import json
import os
import re
from importlib import resources
from pathlib import Path
from typing import Any

from faqkb import placeholders, yamlsrc
from faqkb.fixtures import FIXTURES
from faqkb.model import Command, Entry, Httpd, KnowledgeBase, Legacy, Section
from faqkb.problems import ContentError, Problem
from faqkb.tlsserver.scenarios import SCENARIOS

SECTIONS_FILE = "_sections.yml"
TAGS_FILE = "_tags.yml"
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


@functools.cache
def entry_schema() -> dict[str, Any]:
    """The published JSON Schema of an entry (``faqkb/schema/entry.schema.json``)."""
    text = resources.files("faqkb").joinpath("schema/entry.schema.json").read_text("utf-8")
    return json.loads(text)


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "entry"


def _type_name(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }.get(type(value), type(value).__name__)


def _expected_type(schema: dict[str, Any]) -> str:
    names = {
        "string": "a string",
        "array": "a list",
        "object": "a mapping",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
    }
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(names.get(x, x) for x in t)
    return names.get(t, str(t))


def _schema_problems(doc: yamlsrc.Located) -> list[Problem]:
    import jsonschema  # deferred: only linting and building pay for it

    validator = jsonschema.Draft202012Validator(entry_schema())
    problems: list[Problem] = []
    for err in validator.iter_errors(doc.data):
        path = tuple(err.absolute_path)
        where = _dotted(path)
        v = err.validator
        if v == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                hint = difflib.get_close_matches(extra, allowed, n=1)
                fix = f"did you mean {hint[0]!r}?" if hint else f"allowed: {', '.join(allowed)}"
                problems.append(
                    doc.problem((*path, extra), f"unknown field {where}.{extra}; {fix}", key=True)
                    if path
                    else doc.problem((extra,), f"unknown field {extra!r}; {fix}", key=True)
                )
        elif v == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            name = missing[0] if missing else err.message
            target = f"{where}.{name}" if path else name
            problems.append(doc.problem(path, f"missing required field {target!r}; add it"))
        elif v == "type":
            problems.append(
                doc.problem(
                    path,
                    f"{where} must be {_expected_type(err.schema)} "
                    f"(got {_type_name(err.instance)})",
                )
            )
        elif v == "anyOf" and path and path[-1] == "exit":
            problems.append(
                doc.problem(
                    path,
                    f'{where} must be an integer 0-255 or "nonzero" (got {json.dumps(err.instance)})',
                )
            )
        elif v == "enum":
            choices = ", ".join(json.dumps(c) for c in err.validator_value)
            problems.append(
                doc.problem(path, f"{where} must be one of {choices} (got {json.dumps(err.instance)})")
            )
        elif v == "pattern":
            problems.append(
                doc.problem(
                    path,
                    f"{where} {json.dumps(err.instance)} is not allowed: use lowercase letters, "
                    "digits and dashes",
                )
            )
        elif v in ("minLength", "minItems"):
            problems.append(doc.problem(path, f"{where} must not be empty"))
        else:
            problems.append(doc.problem(path, f"{where}: {err.message}"))
    return problems


def _load_sections(
    faq_dir: Path, problems: list[Problem], section_docs: dict[str, tuple[yamlsrc.Located, int]]
) -> list[Section]:
    path = faq_dir / SECTIONS_FILE
    if not path.is_file():
        problems.append(
            Problem(str(path), 1, 1, "missing sections file; list sections as [{id, title}]")
        )
        return []
    doc = yamlsrc.load(path.read_text("utf-8"), str(path))
    problems.extend(doc.problems)
    if doc.problems:
        return []
    if not isinstance(doc.data, list):
        problems.append(doc.problem((), "sections file must be a list of {id, title, intro}"))
        return []
    sections: list[Section] = []
    for i, item in enumerate(doc.data):
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and isinstance(item.get("title"), str)
            and isinstance(item.get("intro", ""), str)
            and isinstance(item.get("entries", []), list)
            and all(isinstance(x, str) for x in item.get("entries", []))
            and set(item) <= {"id", "title", "intro", "entries"}
        )
        if not ok:
            problems.append(
                doc.problem(
                    (i,),
                    f"section [{i}] must be a mapping of id, title, and optional intro and "
                    "entries (a list of entry ids in reading order)",
                )
            )
            continue
        if any(s.id == item["id"] for s in sections):
            problems.append(doc.problem((i, "id"), f"duplicate section id {item['id']!r}"))
            continue
        sections.append(
            Section(item["id"], item["title"], item.get("intro", ""), tuple(item.get("entries", [])))
        )
        section_docs[item["id"]] = (doc, i)
    return sections


def _load_tags(faq_dir: Path, problems: list[Problem]) -> dict[str, str] | None:
    path = faq_dir / TAGS_FILE
    if not path.is_file():
        return None
    doc = yamlsrc.load(path.read_text("utf-8"), str(path))
    problems.extend(doc.problems)
    if doc.problems:
        return None
    if not isinstance(doc.data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.data.items()
    ):
        problems.append(doc.problem((), "tags file must map each tag to a one-line description"))
        return None
    return dict(doc.data)


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


class _SchemaMemo:
    """Digests of entry texts that had no problem, so unchanged files skip the checks that
    depend on nothing but the text (the JSON Schema, regex compilation).

    Validation (and importing jsonschema) is most of a warm build's own cost; those
    verdicts depend only on the text and the schema, so that pair is the key. Checks
    against other files and registries (sections, fixtures, see_also) always run.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.known: set[str] = set()
        self.seen: set[str] = set()
        self._salt = hashlib.sha256(json.dumps(entry_schema(), sort_keys=True).encode()).digest()
        if path is not None:
            try:
                self.known = set(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, TypeError):
                self.known = set()

    def digest(self, text: str) -> str:
        return hashlib.sha256(self._salt + text.encode("utf-8")).hexdigest()

    def save(self) -> None:
        if self.path is None or self.seen == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(sorted(self.seen)), "utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # only a speed-up; never fail a build over it


_ENTRY_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def _check_links(entry: Entry, known: list[str]) -> list[Problem]:
    """``[text](#id)`` links in Markdown must name an entry (they are resolved to its page)."""
    out = []
    source: str | None = None
    for field_name in ("answer", "then_and_now"):
        text = getattr(entry, field_name) or ""
        for m in _ENTRY_LINK.finditer(text):
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
    sections = _load_sections(faq_dir, problems, section_docs)
    tags = _load_tags(faq_dir, problems)
    memo = _SchemaMemo(schema_memo)
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
        schema_problems = [] if trusted else _schema_problems(doc)
        checked = _check_entry(doc, path, sections, tags, snippets_dir, trusted=trusted)
        if not (schema_problems or checked or doc.problems):
            memo.seen.add(digest)  # only a text with no problem at all is trusted next time
        problems.extend(schema_problems)
        problems.extend(checked)
        see_also = doc.data.get("see_also")
        if isinstance(see_also, list):
            pending_see_also.append((doc, see_also))
        if schema_problems or doc.problems:
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
