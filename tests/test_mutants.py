"""Schema-driven mutation of real entries (a sample; bench/mutation.py sweeps them all): no
mutant gives a traceback, and every problem is placed within a line of its cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.kbutil import REPO
from tests.mutants import stand_in_faq, sweep

SAMPLE = ("cert-ownca", "env-vars", "startup")  # commands, snippets, fixtures, an httpd block


@pytest.mark.parametrize("entry", SAMPLE)
def test_no_mutant_crashes_and_every_problem_is_placed(tmp_path: Path, entry: str) -> None:
    faq = tmp_path / "faq"
    stand_in_faq(REPO / "docs" / "faq", faq)
    source = (REPO / "docs" / "faq" / f"{entry}.yml").read_text()
    result = sweep(source, faq / f"{entry}.yml", REPO / "snippets")
    assert result.tried > 300
    assert not result.crashes, result.crashes[:10]
    assert not result.misplaced, result.misplaced[:10]
