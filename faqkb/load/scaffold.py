"""`faqkb new`: start an entry file, and keep the editors' copy of the schema beside it.

The section and tags are checked against ``_sections.yml`` and ``_tags.yml`` first, so a
typo is refused (with "did you mean") before anything is written. The new file is valid
YAML that names its schema portably, but its answer and command are placeholders that
``faqkb lint`` refuses (:data:`~faqkb.load.checks.PLACEHOLDER_ANSWER`): an untouched draft
can never be published.

The schema reference is the same for every teammate and for CI: ``faqkb new`` writes the
schema into the FAQ folder as :data:`EDITOR_SCHEMA` (a dot-file: MkDocs does not publish
it, the loader does not read it) and each entry points at it relatively. faqkb refreshes
that file when its schema changed, and never overwrites one it did not write.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from faqkb import __version__
from faqkb._util import did_you_mean
from faqkb.errors import ContentError, FaqkbError
from faqkb.load.checks import PLACEHOLDER_ANSWER, PLACEHOLDER_RUN
from faqkb.load.schema import entry_schema
from faqkb.load.sidefiles import load_sections, load_tags
from faqkb.model import SECTIONS_FILE, TAGS_FILE
from faqkb.project import Project

#: The schema file editors read, in the FAQ folder; entries name it relatively.
EDITOR_SCHEMA = ".entry.schema.json"
#: How the schema file says faqkb wrote it (and which faqkb): only such a file is refreshed.
_SIGNATURE = "Written by faqkb"
_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")

_TEMPLATE = """\
# yaml-language-server: $schema={schema}
id: {id}
section: {section}
question: {question}
aliases: []
tags: [{tags}]
answer: |
  {answer}
{legacy}commands:
  # What the answer tells readers to run: faqkb runs each one and shows its real output.
  # Replace the placeholder, or delete it and `commands:` if the answer has no command.
  - run: {run}
"""
_LEGACY = """\
legacy:
  - source: new
    ref: {id}
    question: {question}
"""


def editor_schema_text() -> str:
    """The schema as faqkb writes it for editors: the published one, signed as faqkb's."""
    schema = dict(entry_schema())
    signed: dict[str, Any] = {k: schema.pop(k) for k in ("$schema", "$id") if k in schema}
    signed["$comment"] = (f"{_SIGNATURE} {__version__} (faqkb new, faqkb schema --write), which "
                          "refreshes it when its schema changes; commit it. A file without this "
                          "comment is never overwritten.")
    return json.dumps({**signed, **schema}, indent=2, ensure_ascii=False) + "\n"


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it back at once
    os.umask(mask)
    return mask


def _write_new(path: Path, text: str, *, replace: bool) -> None:
    """Write ``text`` to ``path`` whole or not at all, as a plain file the author owns (mode by
    the umask: the temporary file is private). ``replace=False`` never overwrites a file,
    not even one made meanwhile."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            os.fchmod(f.fileno(), 0o666 & ~_umask())
        if replace:
            os.replace(name, path)
        else:
            os.link(name, path)
    except FileExistsError:
        raise FaqkbError(f"{path} already exists; edit it instead") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def write_editor_schema(faq_dir: Path) -> tuple[Path, str]:
    """Write or refresh ``<faq_dir>/.entry.schema.json``; returns it and what happened:
    ``"written"``, ``"refreshed"``, ``"current"``, or why it was kept as it is."""
    path = faq_dir / EDITOR_SCHEMA
    wanted = editor_schema_text()
    try:
        current = path.read_text("utf-8")
    except FileNotFoundError:
        _write_new(path, wanted, replace=False)
        return path, "written"
    except (OSError, UnicodeDecodeError):
        return path, "kept: it is not a file faqkb wrote (not readable as text)"
    if current == wanted:
        return path, "current"
    try:
        comment = json.loads(current).get("$comment", "")
    except (ValueError, AttributeError):
        comment = ""
    if not (isinstance(comment, str) and comment.startswith(_SIGNATURE)):
        return path, "kept: it is not a file faqkb wrote (no faqkb signature)"
    theirs = comment[len(_SIGNATURE):].split()[:1]
    if theirs and _version(theirs[0]) > _version(__version__):
        return path, f"kept: a newer faqkb ({theirs[0]}) wrote it"
    _write_new(path, wanted, replace=True)
    return path, "refreshed"


def _checked_section(project: Project, section: str) -> None:
    side = load_sections(project.faq_dir)
    if side.problems:
        raise ContentError(side.problems)
    known = [s.id for s in side.sections]
    if section not in known:
        hint = did_you_mean(section, known, otherwise="")
        raise FaqkbError(f"unknown section {section!r}; {hint + ' ' if hint else ''}known: "
                         f"{', '.join(known)} (listed in {project.faq_dir / SECTIONS_FILE})")


def _checked_tags(project: Project, tags: list[str]) -> None:
    for tag in tags:
        if not _NAME.fullmatch(tag):
            raise FaqkbError(f"tag {tag[:60]!r} is not allowed: use lowercase letters, digits and dashes")
    vocabulary, problems = load_tags(project.faq_dir)
    if problems:
        raise ContentError(problems)
    if vocabulary is None:
        return  # no _tags.yml: any tag goes, as for lint
    for tag in tags:
        if tag not in vocabulary:
            close = difflib.get_close_matches(tag, list(vocabulary), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise FaqkbError(f"unknown tag {tag!r}; {hint}known: {', '.join(sorted(vocabulary))} "
                             f"(add it to {project.faq_dir / TAGS_FILE} first)")


def new_entry(project: Project, entry_id: str, section: str, question: str,
              tags: list[str] | None = None) -> Path:
    """Write ``<faq_dir>/<entry_id>.yml``; refuses bad ids, unknown sections and tags, and
    existing files. The entry names :data:`EDITOR_SCHEMA` (see :func:`write_editor_schema`)."""
    if not _NAME.fullmatch(entry_id):
        raise FaqkbError(f"entry id {entry_id!r} must be lowercase letters, digits and dashes")
    path = project.faq_dir / f"{entry_id}.yml"
    if path.exists():
        raise FaqkbError(f"{path} already exists; edit it instead")
    _checked_section(project, section)
    tags = list(dict.fromkeys(tags or []))
    _checked_tags(project, tags)
    quoted = json.dumps(question)
    # `legacy` is written only while the schema requires it: a new FAQ has no old one.
    legacy = _LEGACY.format(id=entry_id, question=quoted) if "legacy" in entry_schema().get(
        "required", []) else ""
    text = _TEMPLATE.format(schema=EDITOR_SCHEMA, id=entry_id, section=section, question=quoted,
                            tags=", ".join(tags), answer=PLACEHOLDER_ANSWER, legacy=legacy,
                            run=PLACEHOLDER_RUN)
    _write_new(path, text, replace=False)
    return path
