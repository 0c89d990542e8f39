"""The shared helpers: atomic writes leave no half file, one wording of "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest

from faqkb._util import atomic_write, did_you_mean, replacing, tail


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.xml"
    atomic_write(target, "one")
    atomic_write(target, b"two")
    assert target.read_text() == "two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.xml"]


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "index.sqlite"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.sqlite"]


def test_did_you_mean_is_one_wording() -> None:
    assert did_you_mean("sever", ["server", "ca"]) == "did you mean 'server'?"
    assert did_you_mean("zzz", ["b", "a"]) == "known: a, b"
    assert did_you_mean("zzz", [], otherwise="add it") == "add it"
    assert did_you_mean("alpah", ["alpha"], show=lambda h: f"#{h}") == "did you mean #alpha?"


def test_tail_keeps_the_last_non_empty_lines() -> None:
    assert tail("a\n\nb\nc\n\n", 2) == "b\nc"
