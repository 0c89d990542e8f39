"""Exit statuses and messages the README promises: invalid content is 2 with positions,
for `build` too (checked before MkDocs starts), and `new` writes nothing it should not."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kbutil import MINIMAL, make_project


def test_build_on_invalid_content_exits_2_naming_file_and_line(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"good": MINIMAL.format(id="good"),
                                      "bad": MINIMAL.format(id="bad") + "tags: nope\n"})
    (project / "site").mkdir()
    (project / "site" / "index.html").write_text("the old site\n")
    res = faqkb(project, "build", "--no-verify")
    assert res.returncode == 2, res.stderr
    assert re.search(r"docs/faq/bad\.yml:8:7: tags must be a list", res.stderr), res.stderr
    assert res.stderr.rstrip().endswith("faqkb: 1 problem found; fix them and run again.")
    assert "mkdocs" not in res.stderr.lower() and "Traceback" not in res.stderr
    assert (project / "site" / "index.html").read_text() == "the old site\n"


def test_new_with_an_unknown_section_exits_2_and_writes_nothing(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path)
    res = faqkb(project, "new", "x1", "--section", "certificate", "--question", "Why?")
    assert res.returncode == 2
    assert "unknown section 'certificate'" in res.stderr and "did you mean 'certificates'?" in res.stderr
    assert not (project / "docs" / "faq" / "x1.yml").exists()
    ok = faqkb(project, "new", "x1", "--section", "certificates", "--question", "Why?")
    assert ok.returncode == 0, ok.stderr
    assert (project / "docs" / "faq" / "x1.yml").is_file()


def test_errors_carry_their_exit_status() -> None:
    from faqkb.errors import EXIT_FAILED, EXIT_INVALID, ContentError, FaqkbError

    assert FaqkbError("x").exit_code == EXIT_INVALID
    assert FaqkbError("x", EXIT_FAILED).exit_code == EXIT_FAILED
    assert ContentError([]).exit_code == EXIT_INVALID and isinstance(ContentError([]), FaqkbError)


def test_an_unwritable_cache_is_a_note_not_a_failure(tmp_path: Path, faqkb) -> None:
    entry = MINIMAL.format(id="a") + "commands:\n  - run: echo hi\n    expect: {stdout: [hi]}\n"
    project = make_project(tmp_path, {"a": entry})
    (project / ".faqkb-cache").write_text("not a folder\n")  # as unwritable as a read-only disk
    res = faqkb(project, "verify")
    assert res.returncode == 0, res.stderr
    assert "faqkb: note: results were not cached" in res.stderr and "Traceback" not in res.stderr
    assert "1 passed" in res.stderr


def test_no_color_and_a_closed_stdin_are_plain(tmp_path: Path, faqkb) -> None:
    entry = MINIMAL.format(id="a") + "commands:\n  - run: echo hi\n"
    project = make_project(tmp_path, {"a": entry})
    res = faqkb(project, "try", "a", env={"NO_COLOR": "1", "TERM": "dumb"})
    assert res.returncode == 0, res.stderr
    assert "\x1b[" not in res.stdout and "$ echo hi" in res.stdout


def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    import subprocess

    from tests.kbutil import faqkb_argv, tool_env

    project = make_project(tmp_path, {f"e{i}": MINIMAL.format(id=f"e{i}") for i in range(30)})
    # The reader closes at once (`| true`); with 30 hits the writer meets the closed pipe.
    proc = subprocess.Popen(faqkb_argv("search", "answer", "-n", "30"), cwd=project, env=tool_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) in (0, 141) and "Traceback" not in err and "BrokenPipe" not in err, err
