"""The YAML mistakes people make by hand are explained, with the fix, at path:line:col
(`faqkb lint`, the real command)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kbutil import MINIMAL, REPO, make_project

HEAD = "id: x\nsection: certificates\nquestion: What is x?\n"  # lines 1-3
LEGACY = 'legacy:\n  - {source: test, ref: x, question: "What is x?"}\n'
BLOCK = "answer: |\n  An answer.\n"

CASES = [
    pytest.param(HEAD + BLOCK + LEGACY + "aliases:\n\t- a tab\n", "9:1",
                 "a tab indents this line; YAML forbids tabs for indentation; use spaces", id="tab"),
    pytest.param(HEAD + BLOCK + LEGACY + "commands:\n  - run: echo\n\t  title: t\n", "10:1",
                 "a tab indents this line; YAML forbids tabs for indentation; use spaces", id="tab-in-command"),
    pytest.param(HEAD + "answer: Run `tar`: it packs.\n" + LEGACY, "4:18",
                 "mapping values are not allowed here: the value of 'answer' holds ': ', which YAML reads "
                 "as the start of a mapping; quote the value, or use a block scalar `answer: |`", id="colon"),
    pytest.param(HEAD.replace("question: What is x?", 'question: "What is x?') + BLOCK + LEGACY, "3:11",
                 'the quote " that starts here is never closed; close it, or use a block scalar '
                 "`question: |` for text over several lines", id="unclosed-double-quote"),
    pytest.param(HEAD + BLOCK + LEGACY + "aliases:\n  - 'no end\n", "9:5",
                 "the quote ' that starts here is never closed; close it (inside '...' an apostrophe is "
                 "written ''), or use a block scalar `key: |` for text over several lines",
                 id="unclosed-single-quote"),
    pytest.param(HEAD.replace("question: What is x?", "question: 'What's x?'") + BLOCK + LEGACY, "3:17",
                 "text after the closing quote ' of 'question'; quote the whole value (inside '...' an "
                 "apostrophe is written '')", id="apostrophe-in-single-quotes"),
    pytest.param(HEAD + BLOCK + LEGACY + "commands:\n  - run: {{ live: -k }} curl\n", "9:10",
                 "a value starting with {{ is read as a YAML flow mapping ({key: value}), not as text; "
                 'quote the value ("{{ ... }}")', id="braces"),
    pytest.param(HEAD + BLOCK + LEGACY + "commands:\n  - run: {{ url }}\n", "9:11",
                 "mapping keys must be plain strings; a value starting with {{ is read as a YAML flow "
                 'mapping ({key: value}), not as text; quote the value ("{{ ... }}")', id="braces-parsed"),
    pytest.param(HEAD + "answer: @user knows\n" + LEGACY, "4:9",
                 "a plain value cannot start with @ (YAML reserves it); quote the value, or use a block "
                 "scalar `answer: |`", id="at-sign"),
    pytest.param(HEAD + "answer: `tar` packs\n" + LEGACY, "4:9",
                 "a plain value cannot start with ` (YAML reserves it); quote the value, or use a block "
                 "scalar `answer: |`", id="backtick"),
    pytest.param(HEAD + BLOCK + LEGACY + "aliases:\n  - `tar` fails\n", "9:5",
                 "a plain value cannot start with ` (YAML reserves it); quote the value ('...' or \"...\")",
                 id="backtick-in-list"),
]


@pytest.mark.parametrize(("text", "where", "message"), CASES)
def test_yaml_mistake_is_explained(tmp_path: Path, faqkb, text: str, where: str, message: str) -> None:
    project = make_project(tmp_path, {"x": text})
    res = faqkb(project, "lint")
    assert res.returncode == 2
    expected = f"{project}/docs/faq/x.yml:{where}: "
    expected += message if message.startswith("mapping keys") else f"YAML syntax error: {message}"
    assert expected in res.stderr.splitlines(), res.stderr


def test_the_cases_are_valid_once_fixed(tmp_path: Path, faqkb) -> None:
    """The fix each message names works (the corpus is not broken in some other way)."""
    project = make_project(tmp_path, {"x": HEAD + 'answer: "Run `tar`: it packs."\n' + LEGACY +
                                      "aliases:\n  - a tab\n  - '`tar` fails'\n  - 'What''s x?'\n"
                                      'commands:\n  - run: "{{ live: -k }} curl"\n'})
    res = faqkb(project, "lint")
    assert res.returncode == 0, res.stderr


def test_a_misspelt_section_key_is_named(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": MINIMAL.format(id="a")})
    sections = project / "docs" / "faq" / "_sections.yml"
    sections.write_text("- id: certificates\n  titel: Certificates\n- id: protocol\n  title: Protocol\n"
                        "  entries: a\n- id: misc\n")
    res = faqkb(project, "lint")
    assert res.returncode == 2
    lines = res.stderr.splitlines()
    assert f"{sections}:2:3: unknown key 'titel' in section [0]; did you mean 'title'?" in lines
    assert f"{sections}:5:12: section [1] entries must be a list of entry ids, in reading order" in lines
    assert f"{sections}:6:3: section [2] has no title; add `title: ...`" in lines
    assert not any("section [0] has no title" in ln for ln in lines)  # said once, as the typo


DOCUMENTED = ("tab", "colon", "unclosed-double-quote", "apostrophe-in-single-quotes", "braces", "backtick")


def test_the_guide_quotes_the_messages_as_faqkb_prints_them() -> None:
    guide = (REPO / "docs" / "contributing.md").read_text("utf-8")
    cases = {c.id: c.values for c in CASES}
    missing = [name for name in DOCUMENTED
               if f"{cases[name][1]}: YAML syntax error: {cases[name][2]}\n" not in guide]
    assert not missing, f"docs/contributing.md's YAML pitfalls do not match: {missing}"
