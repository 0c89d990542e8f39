"""`faqkb lint PATH...` as a pre-commit hook calls it (files, from any folder), and entries
written outside the FAQ folder: reported by lint and builds, never published raw."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

A = MINIMAL.format(id="a")
B_BAD_TAGS = MINIMAL.format(id="b") + "tags: nope\n"  # tags must be a list: 8:7


def lines_of(stderr: str) -> list[str]:
    return stderr.strip().splitlines()


def test_an_entry_file_is_checked_alone_against_its_whole_kb(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {
        "a": A + "see_also: [b, nosuch]\n",  # b exists (another file), nosuch does not
        "b": B_BAD_TAGS,
        "c": MINIMAL.format(id="c").replace("section: certificates", "section: protocl"),
    })
    faq = project / "docs" / "faq"
    res = faqkb(project, "lint", "docs/faq/a.yml")
    assert res.returncode == 2, res.stderr
    lines = lines_of(res.stderr)
    # its own cross-entry problem is found (the KB was loaded), b's and c's are not reported
    assert f"{faq}/a.yml:8:15: unknown see_also entry 'nosuch'; there is no nosuch.yml in {faq}" in lines
    assert not any("b.yml" in ln or "c.yml" in ln for ln in lines if not ln.startswith("faqkb: note"))
    assert f"faqkb: note: 2 other problems in {faq}, in files not named (run `faqkb lint` for all)" in lines
    assert lines[-1] == "faqkb: 1 problem found; fix them and run again."

    # c is checked against the sections file: its section is unknown, with the known ones
    res = faqkb(project, "lint", "docs/faq/c.yml")
    assert res.returncode == 2
    assert f"{faq}/c.yml:2:10: unknown section 'protocl'; did you mean 'protocol'?" in lines_of(res.stderr)

    (faq / "a.yml").write_text(A + "see_also: [b]\n")
    res = faqkb(project, "lint", "docs/faq/a.yml")
    assert res.returncode == 0, res.stderr
    assert lines_of(res.stderr)[-1] == f"{faq}: 1 file checked, no problems."

    # a side file checks the whole KB: every problem
    res = faqkb(project, "lint", "docs/faq/_sections.yml")
    assert res.returncode == 2
    assert {f"{faq}/b.yml:8:7: tags must be a list (got a string)",
            f"{faq}/c.yml:2:10: unknown section 'protocl'; did you mean 'protocol'?"} <= set(lines_of(res.stderr))


def test_problems_of_the_side_files_concern_every_entry(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": A}, tags="keys: about keys\n")
    faq = project / "docs" / "faq"
    (faq / "_tags.yml").write_text("keys: [not, a, description]\n")
    res = faqkb(project, "lint", "docs/faq/a.yml")
    assert res.returncode == 2
    assert f"{faq}/_tags.yml:1:1: tags file must map each tag to a one-line description" in res.stderr


def test_files_are_linted_from_any_folder_with_a_custom_layout(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"a": A, "b": B_BAD_TAGS})
    (project / "docs").rename(project / "content")
    (project / "content" / "faq").rename(project / "content" / "questions")
    (project / "mkdocs.yml").write_text("site_name: T\ndocs_dir: content\n"
                                        "plugins: [{faqkb: {faq_dir: questions}}]\n")
    faq = project / "content" / "questions"
    other = make_project(tmp_path / "other", {"z": MINIMAL.format(id="y")})  # id is not the stem
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    res = faqkb(elsewhere, "lint", "../kb/content/questions/a.yml", str(faq / "b.yml"),
                str(other / "docs" / "faq" / "z.yml"))
    assert res.returncode == 2, res.stderr
    lines = lines_of(res.stderr)
    assert f"{faq}/b.yml:8:7: tags must be a list (got a string)" in lines
    assert f"{other}/docs/faq/z.yml:1:5: id 'y' must equal the file name stem 'z'" in lines
    assert lines[-1] == "faqkb: 2 problems found; fix them and run again."
    # from inside the FAQ folder, by bare name
    res = faqkb(faq, "lint", "a.yml")
    assert res.returncode == 0, res.stderr
    assert f"{faq}: 1 file checked, no problems." in res.stderr


def test_what_is_not_an_entry_file(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"a": A})
    faq = project / "docs" / "faq"
    (faq / "a.snap").write_text("a snapshot of a's output\n")  # not YAML: left alone
    (faq / ".entry.schema.json").write_text("{}\n")
    loose = tmp_path / "loose.yml"
    loose.write_text("name: not an entry\n")
    # files in the FAQ folder that are not entries: nothing to check, exit 0
    res = faqkb(project, "lint", "docs/faq/a.snap", "docs/faq/.entry.schema.json")
    assert res.returncode == 0, res.stderr
    assert "nothing to check in the files given" in res.stderr
    # a project's other YAML (mkdocs.yml): a note; a missing file and a file of no FAQ: problems
    res = faqkb(project, "lint", "mkdocs.yml", "docs/faq/gone.yml", str(loose))
    assert res.returncode == 2
    lines = lines_of(res.stderr)
    assert "faqkb: note: mkdocs.yml is not in the FAQ folder docs/faq; nothing to check in it" in lines
    assert f"{faq}/gone.yml:1:1: no such file; check the path" in lines
    assert (f"{loose}:1:1: not part of any FAQ: there is no mkdocs.yml at or above it and no "
            "_sections.yml beside it; name files of a FAQ folder (by default docs/faq/<id>.yml)") in lines
    # a folder is still a FAQ folder, and a project folder means its FAQ folder (whose lint
    # checks .snap files too: the stand-in above is no snapshot)
    (faq / "a.snap").unlink()
    assert faqkb(tmp_path, "lint", "kb/docs/faq").returncode == 0
    res = faqkb(tmp_path, "lint", "kb")
    assert res.returncode == 0 and f"{faq}: 1 entry, no problems." in res.stderr


def test_a_duplicate_id_is_reported_naming_either_twin(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": A})
    shutil.copy(project / "docs" / "faq" / "a.yml", project / "docs" / "faq" / "a.yaml")
    for name in ("a.yml", "a.yaml"):
        res = faqkb(project, "lint", f"docs/faq/{name}")
        assert res.returncode == 2, (name, res.stderr)
        assert "duplicate id 'a'" in res.stderr


# -- entries in the wrong place --------------------------------------------------------------------

def _misplace(project: Path, docs: str = "docs", faq: str = "faq") -> list[Path]:
    """Entries where the loader does not look, and YAML that is no entry (left alone)."""
    base = project / docs
    paths = [base / "docs-entry.yml", base / "other" / "other-entry.yaml", base / faq / "git" / "sub-entry.yml"]
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(MINIMAL.format(id=p.stem))
    (base / "data.yml").write_text("id: 1\nname: a data file, not an entry\n")
    (base / ".hidden").mkdir()
    (base / ".hidden" / "draft.yml").write_text(MINIMAL.format(id="draft"))  # MkDocs skips it too
    (base / "broken.yml").write_text("id: broken\nquestion: How?\nanswer: Run `tar`: it packs.\n")
    return [*paths, base / "broken.yml"]


def test_misplaced_entries_fail_lint_and_faqkb_build(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": A})
    misplaced = _misplace(project)
    expected = {f"{p}:1:1: this looks like an FAQ entry but is outside docs/faq (the FAQ folder), so "
                "it is not part of the KB; move it into docs/faq/" for p in misplaced}
    for args in (("lint",), ("build", "--no-verify"), ("render", "--no-verify", "--out", "../rendered")):
        res = faqkb(project, *args)
        assert res.returncode == 2, (args, res.stderr)
        assert set(lines_of(res.stderr)[:-1]) == expected, args
    assert not (project / "site").exists() and not (tmp_path.parent / "rendered").exists()
    # named on the command line (a pre-commit hook given docs/**.yml), it is reported too
    res = faqkb(project, "lint", "docs/faq/a.yml", "docs/faq/git/sub-entry.yml", "docs/data.yml")
    assert res.returncode == 2
    sub = project / "docs" / "faq" / "git" / "sub-entry.yml"
    assert lines_of(res.stderr)[-2:] == [
        f"{sub}:1:1: this looks like an FAQ entry but is outside docs/faq (the FAQ folder), so it is "
        "not part of the KB; move it into docs/faq/", "faqkb: 1 problem found; fix them and run again."]
    assert "faqkb: note: docs/data.yml is not in the FAQ folder docs/faq; nothing to check in it" in res.stderr


def test_messages_name_the_real_faq_folder(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": A})
    (project / "docs").rename(project / "content")
    (project / "content" / "faq").rename(project / "content" / "questions")
    (project / "mkdocs.yml").write_text("site_name: T\ndocs_dir: content\n"
                                        "plugins: [{faqkb: {faq_dir: questions}}]\n")
    stray = project / "content" / "x.yml"
    stray.write_text(MINIMAL.format(id="x"))
    res = faqkb(project, "lint")
    assert res.returncode == 2
    assert (f"{stray}:1:1: this looks like an FAQ entry but is outside content/questions (the FAQ "
            "folder), so it is not part of the KB; move it into content/questions/") in lines_of(res.stderr)
    assert "docs/faq" not in res.stderr


def test_mkdocs_warns_about_a_misplaced_entry_and_does_not_publish_it(tmp_path: Path, mkdocs) -> None:
    project = make_project(tmp_path, {"a": A})
    assert mkdocs(project, "build").returncode == 0  # a verified build: its pages are remembered
    misplaced = _misplace(project)
    res = mkdocs(project, "build")
    assert res.returncode == 0, res.stderr
    for p in misplaced:
        assert re.search(rf"WARNING +- +{re.escape(str(p))}:1:1: this looks like an FAQ entry", res.stderr), p
    site = project / "site"
    assert not (site / "docs-entry.yml").exists() and not (site / "other" / "other-entry.yaml").exists()
    assert not (site / "broken.yml").exists()
    assert (site / "data.yml").is_file()  # YAML that is no entry is the author's to publish
    assert (site / "faq" / "certificates" / "index.html").is_file()
    strict = mkdocs(project, "build", "--strict")
    assert strict.returncode != 0


def test_the_search_for_misplaced_entries_reads_only_plain_files(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"a": A})
    docs = project / "docs"
    os.mkfifo(docs / "pipe.yml")  # opened, it would block
    (docs / "zero.yml").symlink_to("/dev/zero")  # read, it would never end
    (docs / "loop").symlink_to(docs, target_is_directory=True)  # walked into, it would repeat
    (docs / "big.yml").write_text("id: x\nquestion: q\n" + "# padding\n" * 40_000)  # over 256 KiB
    res = faqkb(project, "lint", timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stderr.strip() == f"{docs}/faq: 1 entry, no problems."
