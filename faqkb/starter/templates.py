"""``faqkb templates``: faqkb's page templates copied out, for a team to edit the ones it
wants to change (the others are best deleted, so they keep following faqkb's)."""

from __future__ import annotations

from pathlib import Path

from faqkb.render.jinja import TEMPLATES, default_names
from faqkb.starter.place import place_files


def copy_templates(out: Path) -> list[Path]:
    """Copy every default template into ``out`` (refusing, with nothing written, if any of
    them is there already); the files written."""
    return place_files(out, {name: (TEMPLATES / name).read_text("utf-8") for name in default_names()})
