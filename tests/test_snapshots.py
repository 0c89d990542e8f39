"""Snapshots end to end: `snapshot: true`, `faqkb verify --update`, the .snap file, the masks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.kbutil import MINIMAL, faqkb_argv, make_project, processes_matching, tool_env

GREET = "  - title: Greet\n    run: cat data.txt\n    snippets: [data.txt]\n    snapshot: true\n"


def entry(eid: str, commands: str) -> str:
    return MINIMAL.format(id=eid) + "commands:\n" + commands


def project_with(tmp_path: Path, entries: dict[str, str], data: str = "hello\nworld\n") -> Path:
    project = make_project(tmp_path, entries)
    (project / "snippets" / "data.txt").write_text(data)
    return project


def snap(project: Path, eid: str) -> Path:
    return project / "docs" / "faq" / f"{eid}.snap"


# ------------------------------------------------------------------ record, re-run, differ
def test_record_then_rerun_passes(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET + "  - run: echo oops >&2; exit 3\n"
                                                      "    expect: {exit: 3}\n    snapshot: true\n")})
    before = faqkb(project, "verify")
    assert before.returncode == 1
    assert "no snapshot yet; run `faqkb verify --update alpha`" in before.stderr

    rec = faqkb(project, "verify", "--update", "alpha")
    assert rec.returncode == 0, rec.stderr
    assert f"recorded {snap(project, 'alpha')}: command 1 new, command 2 new" in rec.stderr
    text = snap(project, "alpha").read_text()
    assert "=== command 1 (run " in text and "): Greet\nexit: 0\nstdout:\n  hello\n  world\n" in text
    assert "): echo oops >&2; exit 3\nexit: 3\nstderr:\n  oops\n" in text
    assert text.startswith("# faqkb snapshots of entry alpha")

    again = faqkb(project, "verify", "--json")
    assert again.returncode == 0, again.stderr
    assert {r["status"] for r in json.loads(again.stdout)["commands"]} == {"passed"}
    assert {r["status"] for r in json.loads(faqkb(project, "verify", "--json").stdout)["commands"]} == {"cached"}

    mtime = snap(project, "alpha").stat().st_mtime_ns
    same = faqkb(project, "verify", "--update")
    assert same.returncode == 0 and "is up to date (2 commands)" in same.stderr
    assert snap(project, "alpha").stat().st_mtime_ns == mtime  # an unchanged file is not rewritten


def test_changed_output_fails_with_a_diff_everywhere(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    assert faqkb(project, "verify").returncode == 0  # now cached
    (project / "snippets" / "data.txt").write_text("hello\nthere\n")
    res = faqkb(project, "verify", "--junit", "junit.xml")
    assert res.returncode == 1
    assert "entry 'alpha', command 1 FAILED: Greet" in res.stderr
    assert "    output differs from its snapshot (alpha.snap:6); if the new output is right, " \
           "record it with `faqkb verify --update alpha`" in res.stderr
    assert "\n    -  world\n    +  there\n" in res.stderr  # the changed line, in the file's terms
    assert "\n       hello\n" in res.stderr  # with its context
    failure = ET.parse(project / "junit.xml").getroot().find(".//failure")
    assert failure is not None and failure.text is not None
    assert failure.get("message", "").startswith("output differs from its snapshot")
    assert "-  world\n+  there" in failure.text
    record = json.loads(faqkb(project, "verify", "--json").stdout)["commands"][0]
    assert record["status"] == "failed" and "-  world\n+  there" in record["failures"][0]


def test_editing_the_snap_file_re_verifies(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    assert faqkb(project, "verify").returncode == 0
    path = snap(project, "alpha")
    path.write_text(path.read_text().replace("  world\n", "  wrold\n"))  # a hand edit
    res = faqkb(project, "verify")
    assert res.returncode == 1 and "-  wrold\n    +  world" in res.stderr  # not "cached"


def test_a_long_difference_is_cut_short(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)},
                           data="".join(f"line {i}\n" for i in range(200)))
    assert faqkb(project, "verify", "--update").returncode == 0
    (project / "snippets" / "data.txt").write_text("".join(f"other {i}\n" for i in range(200)))
    why = json.loads(faqkb(project, "verify", "--json").stdout)["commands"][0]["failures"][0]
    assert len(why.splitlines()) < 50
    assert "more lines of diff; `faqkb try alpha` shows the whole output]" in why


def test_the_page_shows_the_diff_and_no_snap_file_is_published(tmp_path: Path, faqkb, mkdocs) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    (project / "snippets" / "data.txt").write_text("hello\nthere\n")
    res = mkdocs(project, "build")
    assert res.returncode == 0, res.stderr
    assert "-  world" in res.stderr  # the MkDocs warning carries the diff too
    page = (project / "site" / "faq" / "alpha" / "index.html").read_text()
    assert "Verification FAILED: output differs from its snapshot (alpha.snap:6)" in page
    assert "<br>- &nbsp;world<br>+ &nbsp;there" in page and "<br>&nbsp;stdout:<br>" in page
    assert not list((project / "site").rglob("*.snap"))
    out = tmp_path / "rendered"
    assert faqkb(project, "render", "--out", str(out), "--no-verify").returncode == 0
    assert not list(out.rglob("*.snap")) and (out / "faq" / "certificates.md").is_file()


def test_pytest_plugin_reports_the_diff(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    (project / "snippets" / "data.txt").write_text("hello\nthere\n")
    res = subprocess.run([sys.executable, "-m", "pytest", "--faqkb", "docs/faq", "-p", "no:cacheprovider",
                          "-q"], cwd=project, capture_output=True, text=True, timeout=120,
                         env=tool_env(tmp_path), start_new_session=True)
    assert res.returncode == 1, res.stdout
    assert "-  world" in res.stdout and "+  there" in res.stdout


# ------------------------------------------------------------------ masks
VOLATILE = """\
  - title: the test CA (fresh for every run)
    fixtures: [ca]
    run: openssl x509 -in ca.crt -noout -serial -fingerprint -sha256 -dates -subject
    snapshot: true
  - title: the reference server, its session and its clock
    scenario: default
    run: >-
      openssl s_client -connect {{ server }} -CAfile {{ cafile }} -ign_eof 2>&1
      | grep -E '^ *(Session-ID|Start Time|Verify return code|Date):'
    stdin: "GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n"
    snapshot: true
  - title: a port, a pid, a date and a timing of our own
    run: >-
      python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0));
      print("listening on 127.0.0.1:%d" % s.getsockname()[1])';
      sleep 1 & echo "started pid $!"; date; date -u -R; time sleep 0.01
    snapshot: true
"""


def test_masks_make_two_different_runs_compare_equal(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"vol": entry("vol", VOLATILE)})
    rec = faqkb(project, "verify", "--update", "vol")
    assert rec.returncode == 0, rec.stderr
    text = snap(project, "vol").read_text()
    for masked in ("serial=[SERIAL]", "Fingerprint=[HEX]", "notBefore=[DATE]", "notAfter=[DATE]",
                   "Session-ID: [HEX]", "Start Time: [DATE]", "Date: [DATE]",
                   "listening on 127.0.0.1:[PORT]", "started pid [PID]", "real\t[DURATION]"):
        assert masked in text, (masked, text)
    first, second = faqkb(project, "try", "vol"), faqkb(project, "try", "vol")
    assert first.returncode == 0 and second.returncode == 0, first.stdout + second.stdout

    def raw(out: str, prefix: str) -> str:
        return next(ln for ln in out.splitlines() if ln.strip().startswith(prefix))

    # the runs really differ where the masks are: a fresh CA, a new session
    assert raw(first.stdout, "serial=") != raw(second.stdout, "serial=")
    assert raw(first.stdout, "Session-ID:") != raw(second.stdout, "Session-ID:")
    assert faqkb(project, "verify", "--no-cache").returncode == 0


def test_an_authors_mask_masks_a_group_or_the_whole_match(tmp_path: Path, faqkb) -> None:
    body = ("  - run: echo \"token=$RANDOM$RANDOM for build-$RANDOM\"\n"
            "    snapshot: {mask: ['token=(\\w+)', 'build-\\d+']}\n")
    project = project_with(tmp_path, {"alpha": entry("alpha", body)})
    assert faqkb(project, "verify", "--update").returncode == 0
    assert "  token=[MASKED] for [MASKED]\n" in snap(project, "alpha").read_text()
    assert faqkb(project, "verify", "--no-cache").returncode == 0


# ------------------------------------------------------------------ what --update touches
def test_update_touches_only_the_named_entry(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET), "beta": entry("beta", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    beta = snap(project, "beta").read_bytes()
    (project / "snippets" / "data.txt").write_text("changed\n")
    res = faqkb(project, "verify", "--update", "alpha")
    assert res.returncode == 0, res.stderr
    assert "  changed\n" in snap(project, "alpha").read_text()
    assert snap(project, "beta").read_bytes() == beta
    after = json.loads(faqkb(project, "verify", "--json").stdout)["commands"]
    assert {r["entry"]: r["status"] for r in after} == {"alpha": "passed", "beta": "failed"}


def test_a_failed_update_keeps_the_old_snapshot(tmp_path: Path, faqkb) -> None:
    body = GREET + "    expect: {stdout: ['^hello$']}\n"
    project = project_with(tmp_path, {"alpha": entry("alpha", body)})
    assert faqkb(project, "verify", "--update", "alpha").returncode == 0
    old = snap(project, "alpha").read_bytes()
    (project / "snippets" / "data.txt").write_text("goodbye\n")
    res = faqkb(project, "verify", "--update", "alpha")
    assert res.returncode == 1
    assert "stdout does not match /^hello$/" in res.stderr
    assert "alpha.snap NOT recorded: command 1 failed (see above), so the old snapshot stays" in res.stderr
    assert snap(project, "alpha").read_bytes() == old
    forced = faqkb(project, "verify", "--update", "--force", "alpha")
    assert forced.returncode == 1 and "recorded " in forced.stderr  # recorded; the command still fails
    assert "  goodbye\n" in snap(project, "alpha").read_text()


def test_an_interrupted_update_keeps_the_old_snapshot(tmp_path: Path) -> None:
    mark = f"faqkb-snap-int-{os.getpid()}"
    body = GREET + "  - run: bash slow.sh\n    snippets: [slow.sh]\n    timeout: 120\n"
    project = project_with(tmp_path, {"alpha": entry("alpha", body)})
    (project / "snippets" / "slow.sh").write_text("true\n")
    env = tool_env(tmp_path)
    rec = subprocess.run(faqkb_argv("verify", "--update"), cwd=project, env=env, capture_output=True,
                         text=True, timeout=120, start_new_session=True)
    assert rec.returncode == 0, rec.stderr
    old = snap(project, "alpha").read_bytes()
    (project / "snippets" / "data.txt").write_text("changed\n")
    (project / "snippets" / "slow.sh").write_text(f"exec -a {mark} sleep 300\n")
    proc = subprocess.Popen(faqkb_argv("verify", "--update", "alpha"), cwd=project, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while not processes_matching(mark):
            assert time.monotonic() < deadline, "the slow command never started"
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert snap(project, "alpha").read_bytes() == old
    assert sorted(p.name for p in (project / "docs" / "faq").iterdir()) == [
        "_sections.yml", "alpha.snap", "alpha.yml"]  # no temporary file left behind


def test_update_on_an_entry_without_snapshots_says_so(tmp_path: Path, faqkb) -> None:
    plain = entry("plain", "  - run: echo hi\n    expect: {stdout: [hi]}\n")
    project = project_with(tmp_path, {"plain": plain, "alpha": entry("alpha", GREET)})
    res = faqkb(project, "verify", "--update", "plain")
    assert res.returncode == 2
    assert "entry 'plain' has no `snapshot: true` command, so there is nothing to record" in res.stderr
    assert not snap(project, "plain").exists() and not snap(project, "alpha").exists()
    tried = faqkb(project, "try", "--update", "plain")
    assert tried.returncode == 2 and "nothing to record" in tried.stderr
    assert faqkb(project, "verify", "--force").returncode == 2  # --force belongs to --update


def test_try_update_records_one_entry(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET), "beta": entry("beta", GREET)})
    res = faqkb(project, "try", "--update", "alpha")
    assert res.returncode == 0, res.stderr
    assert "$ cat data.txt\nhello\nworld\n[ok, exit 0" in res.stdout
    assert snap(project, "alpha").is_file() and not snap(project, "beta").exists()


# ------------------------------------------------------------------ expect + snapshot
def test_expect_and_snapshot_must_both_hold(tmp_path: Path, faqkb) -> None:
    body = GREET + "    expect: {stdout: ['^hello']}\n"
    project = project_with(tmp_path, {"alpha": entry("alpha", body)})
    assert faqkb(project, "verify", "--update").returncode == 0

    def failures() -> list[str]:
        rec = json.loads(faqkb(project, "verify", "--json").stdout)["commands"][0]
        return [f.split("\n")[0] for f in rec.get("failures", [])]

    (project / "snippets" / "data.txt").write_text("hello\nthere\n")  # expect holds, snapshot not
    assert [f for f in failures() if not f.startswith("output ends")] == [
        "output differs from its snapshot (alpha.snap:6); if the new output is right, record it "
        "with `faqkb verify --update alpha`"]
    (project / "snippets" / "data.txt").write_text("bye\n")  # neither
    both = failures()
    assert "stdout does not match /^hello/" in both and any(f.startswith("output differs") for f in both)
    snap_text = snap(project, "alpha").read_text()
    path = project / "docs" / "faq" / "alpha.yml"
    path.write_text(path.read_text().replace("['^hello']", "['^bye']"))  # snapshot holds, expect not
    (project / "snippets" / "data.txt").write_text("hello\nworld\n")
    assert failures()[0] == "stdout does not match /^bye/"
    assert snap(project, "alpha").read_text() == snap_text


# ------------------------------------------------------------------ lint of .snap files
def test_lint_reports_a_snap_file_of_no_entry_and_malformed_lines(tmp_path: Path, faqkb) -> None:
    project = project_with(tmp_path, {"alpha": entry("alpha", GREET)})
    assert faqkb(project, "verify", "--update").returncode == 0
    faq = project / "docs" / "faq"
    (faq / "alpah.snap").write_text((faq / "alpha.snap").read_text())
    res = faqkb(project, "lint")
    assert res.returncode == 2
    assert (f"{faq / 'alpah.snap'}:1:1: snapshot file of no entry (there is no alpah.yml); rename it "
            "after its entry's id (did you mean 'alpha.snap'?), or delete it") in res.stderr
    (faq / "alpah.snap").unlink()
    good = (faq / "alpha.snap").read_text()
    (faq / "alpha.snap").write_text(good.replace("  world\n", "world\n").replace("exit: 0", "exit: zero"))
    bad = faqkb(project, "lint")
    assert bad.returncode == 2
    assert f"{faq / 'alpha.snap'}:7:1: exit must be a status 0-255 (got 'zero')" in bad.stderr
    assert (f"{faq / 'alpha.snap'}:10:1: expected `exit: N`, `stdout:`, `stderr:` or output indented "
            "by two spaces") in bad.stderr
    # a malformed file is the user's to fix: --update refuses it rather than overwrite it
    assert faqkb(project, "verify", "--update", "alpha").returncode == 2
    assert "world\n" in (faq / "alpha.snap").read_text()


def test_stale_sections_are_reported_and_removed_on_update(tmp_path: Path, faqkb) -> None:
    two = GREET + "  - run: echo second\n    snapshot: true\n"
    project = project_with(tmp_path, {"alpha": entry("alpha", two)})
    assert faqkb(project, "verify", "--update").returncode == 0
    path = project / "docs" / "faq" / "alpha.yml"
    path.write_text(path.read_text().replace("echo second", "echo changed"))
    lint = faqkb(project, "lint")
    assert lint.returncode == 2
    assert ("alpha.snap:12:1: stale section of command 2: command 2 has another run text now (it "
            "was changed); `faqkb verify --update alpha` removes it") in lint.stderr
    verify = faqkb(project, "verify", "alpha")  # the selected entry still runs, and says why it fails
    assert verify.returncode == 1
    assert "no snapshot yet of this command: the section at alpha.snap:12 is stale" in verify.stderr
    rec = faqkb(project, "verify", "--update")  # all entries: stale sections do not stop it
    assert rec.returncode == 0, rec.stderr
    assert "command 2 new, 1 stale section removed" in rec.stderr
    assert "echo second" not in snap(project, "alpha").read_text()
    assert faqkb(project, "lint").returncode == 0

    path.write_text(path.read_text().replace("    snapshot: true\n", ""))  # no snapshot left
    gone = faqkb(project, "lint")
    assert gone.returncode == 2 and "stale: entry 'alpha' has no `snapshot: true` command" in gone.stderr
    removed = faqkb(project, "verify", "--update", "alpha")
    assert removed.returncode == 0 and "removed " in removed.stderr
    assert not snap(project, "alpha").exists()


def test_reordered_commands_are_detected(tmp_path: Path, faqkb) -> None:
    first, second = "  - run: echo one\n    snapshot: true\n", "  - run: echo two\n    snapshot: true\n"
    project = project_with(tmp_path, {"alpha": entry("alpha", first + second)})
    assert faqkb(project, "verify", "--update").returncode == 0
    path = project / "docs" / "faq" / "alpha.yml"
    path.write_text(path.read_text().replace(first + second, second + first))
    lint = faqkb(project, "lint")
    assert "stale section of command 1: it was recorded for what is now command 2 (the commands " \
           "were reordered)" in lint.stderr
    res = faqkb(project, "verify", "alpha")
    assert res.returncode == 1
    assert "no snapshot yet of this command: the section at alpha.snap:6 is stale (it was recorded " \
           "for what is now command 2" in res.stderr
    assert faqkb(project, "verify", "--update").returncode == 0
    assert faqkb(project, "verify").returncode == 0


def test_snapshot_fields_are_checked(tmp_path: Path, faqkb) -> None:
    cases = {
        "    snapshot: yes please\n": "commands[0].snapshot must be true, false or {mask: [regex, ...]} "
                                      "(got \"yes please\")",
        "    snapshot: {masks: [x]}\n": "unknown field commands[0].snapshot.masks; did you mean 'mask'?",
        "    snapshot: {mask: ['(']}\n": "invalid regular expression '(': missing ), unterminated subpattern",
        "    snapshot: {mask: ['x*']}\n": "mask 'x*' matches empty text",
        "    snapshot: {mask: ['(a+)+']}\n": "repeats a repeat, like (a+)+",
        "    snapshot: true\n    show: none\n": "a snapshot records the output the page shows, and "
                                                "show: none shows none",
    }
    for i, (field, message) in enumerate(cases.items()):
        case = tmp_path / str(i)
        project = make_project(case, {"alpha": entry("alpha", "  - run: echo hi\n" + field)})
        res = faqkb(project, "lint")
        assert res.returncode == 2 and message in res.stderr, (field, res.stderr)
        assert "Traceback" not in res.stderr


def test_output_too_large_for_a_snap_file_is_not_recorded(tmp_path: Path, faqkb) -> None:
    # Five commands of 1000 lines of 1000 characters each: more than a .snap file may hold.
    big = "".join(f"  - run: python3 big.py {i}\n    snippets: [big.py]\n    snapshot: true\n"
                  for i in range(5))
    project = project_with(tmp_path, {"alpha": entry("alpha", big)})
    (project / "snippets" / "big.py").write_text("import sys\nprint((chr(112 + int(sys.argv[1])) * 1000 + '\\n') * 1000)\n")
    res = faqkb(project, "verify", "--update")
    assert res.returncode == 1
    assert "alpha.snap NOT recorded: " in res.stderr and "a snapshot file may hold" in res.stderr
    assert not snap(project, "alpha").exists()
