"""Verification end to end on small knowledge bases: results, cache, failures, hangs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.kbutil import MINIMAL, make_project, processes_matching


def entry(eid: str, commands: str) -> str:
    return MINIMAL.format(id=eid) + "commands:\n" + commands


def test_verify_json_cache_and_selective_rerun(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {
        "alpha": entry("alpha", "  - run: echo alpha\n    expect: {stdout: ['^alpha$']}\n"),
        "beta": entry("beta", "  - run: echo beta >&2\n    expect: {stderr: ['beta']}\n"
                              "  - run: test -f x || touch x\n    expect: {files: [x]}\n"),
    })
    first = faqkb(project, "verify", "--json")
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert [(r["entry"], r["index"], r["status"]) for r in data["commands"]] == [
        ("alpha", 0, "passed"), ("beta", 0, "passed"), ("beta", 1, "passed")]
    assert data["totals"]["passed"] == 3 and all(r["seconds"] >= 0 for r in data["commands"])

    second = json.loads(faqkb(project, "verify", "--json").stdout)
    assert {r["status"] for r in second["commands"]} == {"cached"}

    path = project / "docs" / "faq" / "alpha.yml"
    path.write_text(path.read_text().replace("echo alpha", "echo  alpha"))
    third = json.loads(faqkb(project, "verify", "--json").stdout)
    assert {(r["entry"], r["status"]) for r in third["commands"]} == {
        ("alpha", "passed"), ("beta", "cached")}


def test_broken_command_fails_naming_entry_and_expectation(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {
        "gamma": entry("gamma", "  - run: echo actual output\n    expect: {stdout: ['^expected$']}\n"),
    })
    res = faqkb(project, "verify")
    assert res.returncode == 1
    assert "gamma.yml:9: entry 'gamma', command 1 FAILED: echo actual output" in res.stderr
    assert "stdout does not match /^expected$/" in res.stderr
    assert "actual output" in res.stderr  # the tail of the output
    assert "Traceback" not in res.stderr
    # failures are never cached
    again = json.loads(faqkb(project, "verify", "--json").stdout)
    assert again["commands"][0]["status"] == "failed"


def test_hanging_command_is_killed_and_leaves_no_process(tmp_path: Path, faqkb) -> None:
    marker = f"faqkb-hang-{os.getpid()}"
    project = make_project(tmp_path, {
        "hang": entry("hang", f"  - run: bash -c 'exec -a {marker} sleep 300' & sleep 300\n"
                              "    timeout: 1\n    expect: {exit: 0}\n"),
    })
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 1
    rec = json.loads(res.stdout)["commands"][0]
    assert rec["status"] == "failed" and any("timed out" in f for f in rec["failures"])
    assert processes_matching(marker) == []


def test_expected_failure_and_not_patterns(tmp_path: Path, faqkb) -> None:
    expect = "    expect: {exit: nonzero, stderr: ['no shared cipher'], stdout_not: ['.']}\n"
    project = make_project(tmp_path, {
        "delta": entry("delta", "  - run: \"echo 'error: no shared cipher' >&2; exit 3\"\n" + expect),
        "eps": entry("eps", "  - run: echo all is well\n" + expect),  # the opposite of each
    })
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 1, res.stdout
    records = {r["entry"]: r for r in json.loads(res.stdout)["commands"]}
    assert (records["delta"]["status"], records["delta"].get("failures", [])) == ("passed", [])
    assert records["eps"]["status"] == "failed"
    broken = ["exit status 0, expected a failure (nonzero)",  # each expectation, in its words
              "stdout matches /./, which it must not", "stderr does not match /no shared cipher/"]
    assert sorted(f for f in records["eps"]["failures"] if f in broken) == sorted(broken), records["eps"]
    text = faqkb(project, "verify", "--only", "eps")
    assert text.returncode == 1
    assert "eps.yml:9: entry 'eps', command 1 FAILED: echo all is well" in text.stderr
    assert all(f in text.stderr for f in broken), text.stderr
    assert "all is well\n" in text.stderr.split("FAILED: echo all is well", 1)[1]  # the output's tail
    assert "entry 'delta'" not in text.stderr


def test_try_shows_commands_and_output(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {
        "eps": entry("eps", "  - run: 'echo {{ live: hidden }}shown'\n    expect: {stdout: [hiddenshown]}\n"),
    })
    res = faqkb(project, "try", "eps")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "$ echo shown" in res.stdout and "hiddenshown" in res.stdout
    assert "hidden" not in res.stdout.split("\n")[0]


def test_unknown_only_id_is_a_usage_error(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: 'true'\n")})
    res = faqkb(project, "verify", "--only", "alpah")
    assert res.returncode == 2 and "no entry 'alpah'; did you mean 'alpha'?" in res.stderr


def test_keep_leaves_the_sandbox_and_says_where(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: echo kept > proof.txt\n")})
    res = faqkb(project, "verify", "--keep", "--no-cache")
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("kept the sandbox of alpha: "))
    box = Path(line.split(": ", 1)[1])
    try:
        assert (box / "proof.txt").read_text() == "kept\n"
    finally:
        import shutil

        shutil.rmtree(box, ignore_errors=True)


def test_junit_report_and_shards(tmp_path: Path, faqkb) -> None:
    import xml.etree.ElementTree as ET

    project = make_project(tmp_path, {
        "alpha": entry("alpha", "  - run: echo ok\n"),
        "beta": entry("beta", "  - run: echo nope\n    expect: {stdout: ['^yes$']}\n"),
        "gamma": entry("gamma", "  - run: echo ok\n"),
    })
    report = tmp_path / "out" / "junit.xml"
    res = faqkb(project, "verify", "--junit", str(report))
    assert res.returncode == 1
    root = ET.parse(report).getroot()
    cases = {c.get("classname"): c for c in root.iter("testcase")}
    assert set(cases) == {"faqkb.alpha", "faqkb.beta", "faqkb.gamma"}
    failure = cases["faqkb.beta"].find("failure")
    assert failure is not None and failure.get("message") == "stdout does not match /^yes$/"
    assert cases["faqkb.alpha"].find("failure") is None
    assert cases["faqkb.beta"].get("name") == "command 1: echo nope"
    shares = [json.loads(faqkb(project, "verify", "--json", "--shard", f"{k}/2").stdout) for k in (1, 2)]
    assert [sorted({r["entry"] for r in s["commands"]}) for s in shares] == [["alpha", "gamma"], ["beta"]]
    bad = faqkb(project, "verify", "--shard", "3/2")
    assert bad.returncode == 2 and "write it as K/N" in bad.stderr


def test_junit_is_well_formed_whatever_the_output_holds(tmp_path: Path, faqkb) -> None:
    import xml.etree.ElementTree as ET

    project = make_project(tmp_path, {"ctl": entry("ctl", "  - run: printf '\\033[31mred\\033[0m \\f \\001 x\\n'; exit 3\n")})
    res = faqkb(project, "verify", "--junit", "j.xml")
    assert res.returncode == 1, res.stderr
    case = ET.parse(project / "j.xml").find(".//testcase")
    assert case is not None and "\\x1b[31mred" in (case.findtext("system-out") or "")
