"""Loader and schema: every problem reported, each at its exact path:line:col."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from faqkb.errors import ContentError, Problem
from faqkb.load.loader import lint, load_kb
from tests.kbutil import MINIMAL, make_project

GOOD = MINIMAL.format(id="good")

# (file text, expected "line:col: message start") — the exact position is the point.
MALFORMED = [
    pytest.param("id: x\nquestion: [unclosed\n", "3:1: YAML syntax error", id="syntax-error"),
    pytest.param("id: x\nid: y\n", "2:1: duplicate key 'id' (first defined at line 1)", id="duplicate-key"),
    pytest.param(GOOD.replace("id: good", "id: x") + "tags: notalist\n", "8:7: tags must be a list", id="wrong-type"),
    pytest.param(GOOD.replace("id: good", "id: x") + "see_also: [nowhere]\n", "8:12: unknown see_also entry 'nowhere'",
                 id="unknown-see-also"),
    pytest.param(GOOD.replace("id: good", "id: x") + "colour: red\n", "8:1: unknown field 'colour'", id="unknown-field"),
    pytest.param(GOOD.replace("id: good", "id: x").replace("question: What is good?\n", ""),
                 "1:1: missing required field 'question'", id="missing-field"),
    pytest.param(GOOD, "1:5: id 'good' must equal the file name stem 'x'", id="id-not-stem"),
    pytest.param(GOOD.replace("id: good", "id: x").replace("section: certificates", "section: nope"),
                 "2:10: unknown section 'nope'", id="unknown-section"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: echo\n    expect: {exit: zero}\n",
                 '10:20: commands[0].expect.exit must be an integer 0-255 or "nonzero" (got "zero")', id="exit-zero"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: echo\n    fixtures: [sever]\n",
                 "10:16: unknown fixture 'sever'; did you mean 'server'?", id="unknown-fixture"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: curl\n    scenario: expird\n",
                 "10:15: unknown scenario 'expird'; did you mean 'expired'?", id="unknown-scenario"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: echo\n    expect: {stdout: ['(']}\n",
                 "10:23: invalid regular expression '('", id="bad-regex"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: curl {{ srever }}\n    scenario: default\n",
                 "9:10: unknown placeholder {{ srever }}", id="unknown-placeholder"),
    pytest.param(GOOD.replace("id: good", "id: x") + "commands:\n  - run: curl {{ url }}\n",
                 "9:10: {{ url }} needs a server", id="placeholder-without-scenario"),
    pytest.param("a: &x [1]\nb: *x\n", "2:4: YAML aliases", id="alias"),
    pytest.param("id: !!python/object:os.system x\n", "1:5: unsupported YAML tag", id="python-tag"),
    pytest.param("- just\n- a list\n", "1:1: an entry must be a mapping", id="not-a-mapping"),
    pytest.param("", "1:1: file is empty", id="empty"),
]


def positions(problems: list[Problem]) -> list[tuple[str, int, int, str]]:
    """(file name, line, col, message up to its hint) of each problem, in reported order."""
    return [(Path(p.path).name, p.line, p.col, p.message.split(";")[0].split(":")[0]) for p in problems]


@pytest.mark.parametrize(("text", "expected"), MALFORMED)
def test_malformed_entry_reports_exact_position(tmp_path: Path, text: str, expected: str) -> None:
    project = make_project(tmp_path, {"x": text, "good": GOOD})
    problems = lint(project / "docs" / "faq", project / "snippets")
    rendered = [str(p) for p in problems]
    path = str(project / "docs" / "faq" / "x.yml")
    assert any(r.startswith(f"{path}:{expected}") for r in rendered), rendered


def test_every_problem_in_one_run(tmp_path: Path) -> None:
    bad = GOOD.replace("id: good", "id: x") + "tags: 5\nsee_also: [nope]\ncolour: red\n"
    project = make_project(tmp_path, {"x": bad, "y": "id: y\nid: y\n"})
    problems = lint(project / "docs" / "faq", project / "snippets")
    assert positions(problems) == [
        ("x.yml", 8, 7, "tags must be a list (got a number)"),
        ("x.yml", 9, 12, "unknown see_also entry 'nope'"),
        ("x.yml", 10, 1, "unknown field 'colour'"),
        ("y.yml", 1, 1, "missing required field 'answer'"),
        ("y.yml", 1, 1, "missing required field 'question'"),
        ("y.yml", 1, 1, "missing required field 'section'"),
        ("y.yml", 2, 1, "duplicate key 'id' (first defined at line 1)"),
    ], [str(p) for p in problems]


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    project = make_project(tmp_path, {"x": bomb})
    problems = lint(project / "docs" / "faq")
    assert [p.line for p in problems if "aliases" in p.message] == [2]


def test_unknown_tag_when_vocabulary_exists(tmp_path: Path) -> None:
    entry = GOOD + "tags: [certificate, sausage]\n"
    project = make_project(tmp_path, {"good": entry}, tags="certificate: Certificates\n")
    problems = lint(project / "docs" / "faq")
    assert [(p.line, p.col) for p in problems] == [(8, 21)]
    assert "sausage" in problems[0].message


def test_clean_entry_loads_into_model(tmp_path: Path) -> None:
    entry = GOOD + textwrap.dedent("""\
        tags: [x]
        commands:
          - title: Say hi
            run: echo hi
            expect: {exit: 0, stdout: ['^hi$']}
          - run: "false"
            expect: {exit: nonzero}
        """)
    project = make_project(tmp_path, {"good": entry})
    kb = load_kb(project / "docs" / "faq", project / "snippets")
    e = kb.entries["good"]
    assert e.question == "What is good?"
    assert [c.run for c in e.commands] == ["echo hi", "false"]
    assert e.commands[0].expect.stdout == ("^hi$",)
    assert e.commands[1].expect.exit == "nonzero"
    assert e.commands[0].line == 11  # its run: key, under the title
    assert e.legacy[0].ref == "good"


def test_load_kb_raises_with_all_problems(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"a": "id: b\n", "c": "x: [\n"})
    with pytest.raises(ContentError) as info:
        load_kb(project / "docs" / "faq")
    assert positions(info.value.problems) == [
        ("a.yml", 1, 1, "missing required field 'answer'"),
        ("a.yml", 1, 1, "missing required field 'question'"),
        ("a.yml", 1, 1, "missing required field 'section'"),
        ("a.yml", 1, 5, "id 'b' must equal the file name stem 'a'"),
        ("c.yml", 2, 1, "YAML syntax error"),
    ], str(info.value)


def test_section_entry_order(tmp_path: Path) -> None:
    from tests.kbutil import SECTIONS

    project = make_project(tmp_path, {i: MINIMAL.format(id=i) for i in ("a", "b", "c")})
    (project / "docs" / "faq" / "_sections.yml").write_text(
        SECTIONS.replace("  title: Certificates\n", "  title: Certificates\n  entries: [c, a]\n"))
    kb = load_kb(project / "docs" / "faq")
    assert [e.id for e in kb.in_section("certificates")] == ["c", "a", "b"]
    (project / "docs" / "faq" / "_sections.yml").write_text(
        SECTIONS.replace("  title: Certificates\n", "  title: Certificates\n  entries: [c, zz]\n"))
    problems = lint(project / "docs" / "faq")
    assert [(p.line, p.col) for p in problems] == [(3, 16)] and "no entry 'zz'" in problems[0].message


def test_schema_memo_never_hides_a_problem(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"good": GOOD})
    memo = tmp_path / "memo.json"
    faq = project / "docs" / "faq"
    load_kb(faq, schema_memo=memo)
    assert memo.is_file() and len(json.loads(memo.read_text())) == 1
    (faq / "good.yml").write_text(GOOD + "colour: red\n")
    with pytest.raises(ContentError) as info:
        load_kb(faq, schema_memo=memo)
    assert "unknown field 'colour'" in str(info.value)


def test_memo_does_not_trust_a_file_that_had_a_problem(tmp_path: Path) -> None:
    bad_regex = GOOD + "commands:\n  - run: echo\n    expect: {stdout: ['(']}\n"
    project = make_project(tmp_path, {"good": bad_regex})
    memo = tmp_path / "memo.json"
    for _ in range(2):  # the second load must find the problem again
        with pytest.raises(ContentError) as info:
            load_kb(project / "docs" / "faq", schema_memo=memo)
        assert "invalid regular expression" in str(info.value)


def test_links_to_entries_are_checked_and_resolved_across_sections(tmp_path: Path) -> None:
    from faqkb.render.pages import render_pages

    a = GOOD.replace("id: good", "id: a").replace("  An answer.", "  See [b](#b) and [c](#c).")
    b = MINIMAL.format(id="b").replace("section: certificates", "section: protocol")
    project = make_project(tmp_path, {"a": a, "b": b})
    problems = lint(project / "docs" / "faq")
    assert [(p.line, p.col) for p in problems] == [(5, 23)] and "#c, which is no entry" in problems[0].message
    (project / "docs" / "faq" / "a.yml").write_text(a.replace(" and [c](#c)", ""))
    pages = render_pages(load_kb(project / "docs" / "faq"))
    assert "See [b](b.md)." in pages["faq/a.md"]
