"""Verification end to end on small knowledge bases: results, cache, failures, hangs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

FAQKB = [sys.executable, "-m", "faqkb"]


def entry(eid: str, commands: str) -> str:
    return MINIMAL.format(id=eid) + "commands:\n" + commands


def faqkb(project: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run([*FAQKB, *args], cwd=project, capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)


def test_verify_json_cache_and_selective_rerun(tmp_path: Path) -> None:
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


def test_broken_command_fails_naming_entry_and_expectation(tmp_path: Path) -> None:
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


def test_hanging_command_is_killed_and_leaves_no_process(tmp_path: Path) -> None:
    marker = f"faqkb-hang-{os.getpid()}"
    project = make_project(tmp_path, {
        "hang": entry("hang", f"  - run: bash -c 'exec -a {marker} sleep 300' & sleep 300\n"
                              "    timeout: 1\n    expect: {exit: 0}\n"),
    })
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 1
    rec = json.loads(res.stdout)["commands"][0]
    assert rec["status"] == "failed" and any("timed out" in f for f in rec["failures"])
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, timeout=10, check=True)
    assert marker not in ps.stdout


def test_expected_failure_and_not_patterns(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "delta": entry("delta",
                       "  - run: \"echo 'error: no shared cipher' >&2; exit 3\"\n"
                       "    expect: {exit: nonzero, stderr: ['no shared cipher'], stdout_not: ['.']}\n"),
    })
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 0, res.stdout


def test_try_shows_commands_and_output(tmp_path: Path) -> None:
    project = make_project(tmp_path, {
        "eps": entry("eps", "  - run: 'echo {{ live: hidden }}shown'\n    expect: {stdout: [hiddenshown]}\n"),
    })
    res = faqkb(project, "try", "eps")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "$ echo shown" in res.stdout and "hiddenshown" in res.stdout
    assert "hidden" not in res.stdout.split("\n")[0]


def test_unknown_only_id_is_a_usage_error(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: 'true'\n")})
    res = faqkb(project, "verify", "--only", "alpah")
    assert res.returncode == 2 and "did you mean alpha" in res.stderr


def test_keep_leaves_the_sandbox_and_says_where(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: echo kept > proof.txt\n")})
    res = faqkb(project, "verify", "--keep", "--no-cache")
    line = next(ln for ln in res.stderr.splitlines() if ln.startswith("kept the sandbox of alpha: "))
    box = Path(line.split(": ", 1)[1])
    try:
        assert (box / "proof.txt").read_text() == "kept\n"
    finally:
        import shutil

        shutil.rmtree(box, ignore_errors=True)


def test_junit_report_and_shards(tmp_path: Path) -> None:
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
