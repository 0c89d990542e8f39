"""The help and the docs tell the truth: every command, option and entry field is documented,
and the entry guide renders as written."""

from __future__ import annotations

import argparse
import importlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any

import click
import markdown
import yaml

from tests.kbutil import REPO

GUIDE = REPO / "docs" / "contributing.md"
SCHEMA = REPO / "faqkb" / "schema" / "entry.schema.json"

#: Commands that pass their arguments to an argparse parser of their own (see faqkb.integrations.launch):
#: command name -> "module:function" returning the parser.
ARGPARSE_COMMANDS = {"search": "faqkb.integrations.search_cmd:_parser",
                     "show": "faqkb.integrations.search_cmd:_show_parser"}


def _user_docs() -> str:
    """README.md and the hand-written pages (docs/*.md, not the generated docs/faq/)."""
    pages = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    return "\n".join(p.read_text("utf-8") for p in pages)


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


# -- commands and options -------------------------------------------------------------------------

def test_every_command_is_documented_in_readme() -> None:
    from faqkb.integrations.cli import main

    readme = (REPO / "README.md").read_text("utf-8")
    missing = [name for name in main.commands if not _mentions(readme, f"faqkb {name}")]
    assert not missing, f"README.md does not document: {missing}"


def _click_options(command: click.Command) -> Iterator[str]:
    for param in command.params:
        if isinstance(param, click.Option):
            for opt in (*param.opts, *param.secondary_opts):
                if opt.startswith("--") and opt != "--help":
                    yield opt


def _argparse_options(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        long = [o for o in action.option_strings if o.startswith("--")]
        yield from long or action.option_strings


def _all_options() -> dict[str, list[str]]:
    """``faqkb`` and each command -> the options a user can type."""
    from faqkb.integrations.cli import main

    options = {"faqkb": list(_click_options(main))}
    for name, command in main.commands.items():
        options[f"faqkb {name}"] = list(_click_options(command))
        passes_through = command.context_settings.get("ignore_unknown_options")
        if passes_through or name in ARGPARSE_COMMANDS:
            assert name in ARGPARSE_COMMANDS, f"faqkb {name} parses its own options: add its parser here"
            module, func = ARGPARSE_COMMANDS[name].split(":")
            options[f"faqkb {name}"] += _argparse_options(getattr(importlib.import_module(module), func)())
    return options


def test_option_walk_sees_the_argparse_search_options() -> None:
    assert {"-n", "--json"} <= set(_all_options()["faqkb search"])


def test_every_option_is_documented() -> None:
    docs = _user_docs()
    missing = [f"{cmd} {opt}" for cmd, opts in _all_options().items() for opt in opts
               if not _mentions(docs, opt)]
    assert not missing, f"neither README.md nor docs/*.md mentions: {missing}"


# -- entry fields ---------------------------------------------------------------------------------

def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"only local $refs are followed, not {ref}"
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _fields(schema: dict[str, Any], node: dict[str, Any], path: tuple[str, ...] = ()
            ) -> Iterator[tuple[str, ...]]:
    """Every property of the schema, as its path of property names (array items add nothing)."""
    node = _resolve(schema, node)
    for name, sub in node.get("properties", {}).items():
        yield (*path, name)
        yield from _fields(schema, sub, (*path, name))
    subs = [node["items"]] if isinstance(node.get("items"), dict) else []
    if isinstance(node.get("additionalProperties"), dict):
        subs.append(node["additionalProperties"])
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        subs += node.get(key, [])
    for sub in subs:
        yield from _fields(schema, sub, path)


def _schema_fields() -> list[tuple[str, ...]]:
    schema = json.loads(SCHEMA.read_text("utf-8"))
    return list(_fields(schema, schema))


def test_schema_walk_reaches_every_level() -> None:
    fields = set(_schema_fields())
    for path in [("commands",), ("commands", "run"), ("commands", "expect", "server_log_not"),
                 ("httpd", "paths"), ("httpd", "expect_start"), ("legacy", "ref")]:
        assert path in fields


def test_contributing_guide_documents_every_schema_field() -> None:
    spans = set(re.findall(r"`([^`\n]+)`", GUIDE.read_text("utf-8")))
    # `name` or `parent.name` (any dotted tail of the field's path, e.g. `httpd.paths`).
    missing = [".".join(path) for path in _schema_fields()
               if not any(".".join(path[i:]) in spans for i in range(len(path)))]
    assert not missing, f"docs/contributing.md does not document the entry fields: {missing}"


# -- the guide as the site renders it -------------------------------------------------------------

def _site_markdown_extensions() -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The Python-Markdown / pymdownx extensions of mkdocs.yml, plus the ones MkDocs always adds."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text("utf-8"))
    names, configs = ["toc", "tables", "fenced_code"], {}  # MkDocs' built-in extensions
    for ext in config.get("markdown_extensions", []):
        name, conf = next(iter(ext.items())) if isinstance(ext, dict) else (ext, None)
        if "." not in name or name.startswith(("pymdownx.", "markdown.extensions.")):
            if name not in names:
                names.append(name)
            if conf:
                configs[name] = conf
    return names, configs


class _Html(HTMLParser):
    """The paragraphs' text, and each table's rows of (cell text, code spans in the cell)."""

    def __init__(self) -> None:
        super().__init__()
        self.paragraphs: list[str] = []
        self.tables: list[list[list[tuple[str, list[str]]]]] = []
        self._p: list[str] | None = None
        self._cell: list[str] | None = None
        self._codes: list[str] = []
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._p = []
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell, self._codes = [], []
        elif tag == "code" and self._cell is not None:
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._p is not None:
            self.paragraphs.append("".join(self._p))
            self._p = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(("".join(self._cell), self._codes))
            self._cell = None
        elif tag == "code" and self._code is not None:
            self._codes.append("".join(self._code))
            self._code = None

    def handle_data(self, data: str) -> None:
        for buf in (self._p, self._cell, self._code):
            if buf is not None:
                buf.append(data)


def _rendered_guide() -> _Html:
    names, configs = _site_markdown_extensions()
    html = markdown.markdown(GUIDE.read_text("utf-8"), extensions=names, extension_configs=configs)
    parser = _Html()
    parser.feed(html)
    return parser


def test_guide_has_no_table_rows_rendered_as_text() -> None:
    stray = [line for p in _rendered_guide().paragraphs for line in p.splitlines()
             if line.lstrip().startswith("| ")]
    assert not stray, f"table rows of docs/contributing.md render as paragraph text: {stray}"


def test_fields_table_is_one_table_with_every_entry_field() -> None:
    tables = [t for t in _rendered_guide().tables if t and t[0] and t[0][0][0].strip() == "field"]
    assert len(tables) == 1, f"expected one Fields table, found {len(tables)}"
    first_column = {code for row in tables[0][1:] if row for code in row[0][1]}
    assert {"commands", "httpd"} <= first_column, first_column
    top_level = {path[0] for path in _schema_fields()}
    assert top_level <= first_column, f"missing from the Fields table: {top_level - first_column}"


def test_main_help_names_every_command_and_both_servers(faqkb) -> None:
    from faqkb.integrations.cli import main

    res = faqkb(REPO, "--help")
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    missing = [name for name in main.commands if f"faqkb {name}" not in text]
    assert not missing, f"faqkb --help does not name: {missing}"
    assert "reference TLS server" in text and "Apache httpd" in text
