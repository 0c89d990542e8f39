"""The FAQ directory's side files: ``_sections.yml`` (sections, titles, reading order)
and ``_tags.yml`` (the controlled tag vocabulary)."""

from __future__ import annotations

from pathlib import Path

from faqkb.errors import Problem
from faqkb.load import located as yamlsrc
from faqkb.model import Section

SECTIONS_FILE = "_sections.yml"
TAGS_FILE = "_tags.yml"


def load_sections(
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


def load_tags(faq_dir: Path, problems: list[Problem]) -> dict[str, str] | None:
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
