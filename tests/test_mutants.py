"""Schema-driven mutation of real entries (a sample; bench/mutation.py sweeps them all): no
mutant gives a traceback, and every problem is placed within a line of its cause."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from faqkb.errors import ContentError
from faqkb.load.loader import load_kb
from tests.kbutil import REPO
from tests.mutants import mutants

SAMPLE = ("cert-ownca", "env-vars", "startup")  # commands, snippets, fixtures, an httpd block


@pytest.mark.parametrize("entry", SAMPLE)
def test_no_mutant_crashes_and_every_problem_is_placed(tmp_path: Path, entry: str) -> None:
    faq = tmp_path / "faq"
    faq.mkdir()
    for side in ("_sections.yml", "_tags.yml"):
        shutil.copy(REPO / "docs" / "faq" / side, faq / side)
    for other in (REPO / "docs" / "faq").glob("[!_]*.yml"):
        (faq / other.name).touch()  # empty stand-ins: links and see_also to them resolve
    target = faq / f"{entry}.yml"
    source = (REPO / "docs" / "faq" / f"{entry}.yml").read_text()
    crashes, misplaced, count = [], [], 0
    for m in mutants(source):
        count += 1
        target.write_text(m.text)
        try:
            load_kb(faq, REPO / "snippets")
        except ContentError as exc:
            mine = [p for p in exc.problems if p.path == str(target)]
            if mine and not any(p.line in m.lines for p in mine):
                misplaced.append(f"{m.label}: {[str(p)[len(str(faq)):][:120] for p in mine[:3]]}")
        except Exception as exc:  # the point: nothing else may escape
            crashes.append(f"{m.label}: {type(exc).__name__}: {exc}"[:200])
    assert count > 300
    assert not crashes, crashes[:10]
    assert not misplaced, misplaced[:10]
