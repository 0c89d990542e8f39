"""docs/start.md tells the truth: every plugin option is in its table, the example template is
faqkb's own, and the page is in the site's navigation and linked from the README."""

from __future__ import annotations

import re

import yaml

from faqkb.integrations.mkdocs_plugin import EXTENSIONS, FaqkbConfig
from faqkb.render.jinja import TEMPLATES, default_names
from tests.kbutil import REPO

START = (REPO / "docs" / "start.md").read_text("utf-8")


def _table(first_header: str) -> dict[str, list[str]]:
    """The rows (first cell's code span -> the other cells) of the table whose header starts so."""
    lines = START.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {first_header} |"))
    rows: dict[str, list[str]] = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_every_plugin_option_is_in_the_table_with_its_default() -> None:
    rows = _table("option")
    options = {name for name, _ in FaqkbConfig._schema}
    assert set(rows) == options, set(rows) ^ options
    for name, option in FaqkbConfig._schema:
        if option.default is not None:
            shown = str(option.default).lower() if isinstance(option.default, bool) else str(option.default)
            assert rows[name][0] == f"`{shown}`", (name, rows[name][0])


def test_every_template_and_extension_is_named() -> None:
    assert set(_table("template")) == set(default_names())
    for ext in EXTENSIONS:
        assert f"`{ext}`" in START, ext


def test_the_example_template_is_faqkbs_own() -> None:
    blocks = re.findall(r"```jinja\n(.*?)```", START, re.DOTALL)
    assert (TEMPLATES / "tags.md.j2").read_text() in blocks


def test_the_page_is_in_the_nav_and_linked_from_the_readme() -> None:
    nav = yaml.safe_load((REPO / "mkdocs.yml").read_text())["nav"]
    assert {"Start your own FAQ": "start.md"} in nav
    assert "](docs/start.md)" in (REPO / "README.md").read_text()
