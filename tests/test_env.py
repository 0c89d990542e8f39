"""An entry's environment (``env``) and the programs its commands need (``requires``)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.kbutil import MINIMAL, https_vhost, make_project

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MISSING = "faqkb-no-such-program"
pytest_plugins = ["pytester"]


def entry(eid: str, body: str) -> str:
    return MINIMAL.format(id=eid) + body


def records(res) -> list[dict]:
    return json.loads(res.stdout)["commands"]


def test_env_of_the_entry_and_of_a_command(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", """\
env: {A: entry, B: entry, C: '$HOME/conf', D: 'cost: $5 and ${HOME}'}
commands:
  - run: echo "$A $B|$C|$D"
    expect: {stdout: ['^entry entry\\|/home/user/conf\\|cost: \\$5 and /home/user$']}
  - run: mkdir bin && printf '#!/bin/sh\\necho mine\\n' > bin/mytool && chmod +x bin/mytool
  - run: echo "$A $B" && mytool && echo "$PATH"
    env: {B: command, PATH: '$PWD/bin:$PATH', LC_ALL: C}
    expect:
      stdout: ['^entry command$', '^mine$', '^/home/user/demo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$']
  - run: echo "$B $LC_ALL"
    expect: {stdout: ['^entry C.UTF-8$']}
""")})
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert {r["status"] for r in records(res)} == {"passed"}
    out = project.parent / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0
    page = (out / "faq" / "alpha.md").read_text()
    assert "The commands below run with <code>A=entry</code> <code>B=entry</code>" in page
    assert "This one with <code>B=command</code> <code>PATH=$PWD/bin:$PATH</code> <code>LC_ALL=C</code> set:" in page


def test_nothing_of_the_callers_environment_reaches_a_command(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", """\
commands:
  - run: env | cut -d= -f1 | sort | tr '\\n' ' '
""")})
    res = faqkb(project, "verify", "--json", env={"FAQKB_LEAK_PROBE": "1"})
    assert res.returncode == 0, res.stderr
    names = set(json.loads((project / ".faqkb-cache" / "results" / "alpha.json").read_text())
                ["commands"][0]["stdout"].split())
    documented = {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TERM", "SHELL", "USER"}
    assert documented <= names and names - documented <= {"PWD", "SHLVL", "_", "OLDPWD"}, names


def test_an_httpd_entry_gets_its_wrappers_first_and_never_the_callers_path(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", https_vhost() + """\
commands:
  - run: echo "$PATH"
    scenario: httpd
    expect: {stdout: ['^/home/user/demo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$']}
""")})
    res = faqkb(project, "verify", env={"PATH": f"/opt/caller/bin:{SYSTEM_PATH}"})
    assert res.returncode == 0, res.stderr


def test_missing_required_programs_are_not_run_and_fail_only_strict_runs(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", f"""\
requires: [sh]
commands:
  - run: touch ran-1
    requires: [{MISSING}, {MISSING}-too]
  - title: Works
    run: touch ran-2
  - run: mkdir bin && printf '#!/bin/sh\\necho here\\n' > bin/localtool && chmod +x bin/localtool
  - run: localtool
    env: {{PATH: '$PWD/bin:$PATH'}}
    requires: [localtool]
    expect: {{stdout: [here]}}
""")})
    why = f"requires {MISSING} and {MISSING}-too, which are not installed here"
    res = faqkb(project, "verify")
    assert res.returncode == 0, res.stderr
    assert f"alpha.yml:10: entry 'alpha', command 1 UNVERIFIED: touch ran-1\n    {why}" in res.stderr
    assert "4 commands in 1 entry: 3 passed, 0 cached, 0 failed, 1 unverified" in res.stderr
    strict = faqkb(project, "verify", "--strict")
    assert strict.returncode == 1 and "1 command not run: a program they require is not installed" in strict.stderr
    data = faqkb(project, "verify", "--json")  # never cached as passed: it is tried again each time
    assert data.returncode == 0
    first = records(data)[0]
    assert (first["status"], first["reason"], first["missing"]) == (
        "unverified", why, [MISSING, f"{MISSING}-too"])
    # The entry is not cached as a whole, so the others ran again too.
    assert [r["status"] for r in records(data)[1:]] == ["passed"] * 3

    for strict_flag, tag in (((), "skipped"), (("--strict",), "failure")):
        faqkb(project, "verify", "--junit", "j.xml", *strict_flag)
        case = next(ET.parse(project / "j.xml").iter("testcase"))
        found = case.find(tag)
        assert found is not None and why in (found.get("message") or ""), ET.tostring(case)

    tried = faqkb(project, "try", "alpha")
    assert tried.returncode == 0, tried.stderr
    assert f"[NOT RUN: {why}]" in tried.stdout and "exit None" not in tried.stdout

    out = project.parent / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0
    assert f"Not verified: {why}." in (out / "faq" / "alpha.md").read_text()


def test_a_strict_build_fails_on_a_missing_required_program(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", f"""\
commands:
  - run: echo hi
    requires: [{MISSING}]
""")})
    assert faqkb(project, "build").returncode == 0
    strict = faqkb(project, "build", "--strict")
    assert strict.returncode == 1 and f"requires {MISSING}, which is not installed here" in strict.stderr


def test_pytest_skips_an_entry_that_lacks_a_required_program(tmp_path: Path, pytester: pytest.Pytester) -> None:
    make_project(pytester.path, {
        "alpha": entry("alpha", f"commands:\n  - run: echo hi\n    requires: [{MISSING}]\n"),
        "beta": entry("beta", "commands:\n  - run: echo hi\n"),
    })
    result = pytester.runpytest_subprocess("--faqkb", "docs/faq", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"*requires {MISSING}, which is not installed here*"])


@pytest.mark.parametrize(("env", "message"), [
    ("{PATH: /opt/bin}", r"8:\d+: env PATH must keep the default PATH: add to it, e.g. PATH: /opt/bin:\$PATH"),
    ("{TMPDIR: /var/tmp}", r"8:\d+: env TMPDIR cannot be set"),
    ("{'1X': y}", r'8:\d+: env name "1X" is not allowed'),
    ("{OK: [a]}", r"8:\d+: env.OK must be a string \(got a list\); quote it"),
])
def test_env_that_would_break_the_sandbox_is_a_lint_error(tmp_path: Path, faqkb, env: str, message: str) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", f"env: {env}\n")})
    res = faqkb(project, "lint")
    assert res.returncode == 2 and re.search(message, res.stderr), res.stderr




def test_an_httpd_block_whose_commands_lack_a_program_says_so(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": entry("alpha", https_vhost() + f"""\
commands:
  - run: curl -sS --cacert ca.crt {{{{ url }}}}
    scenario: httpd
    requires: [{MISSING}]
""")})
    out = tmp_path / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0
    page = (out / "faq" / "alpha.md").read_text()
    assert "Not verified: a program the commands below require is not installed here." in page
    assert "no Apache httpd was available" not in page
