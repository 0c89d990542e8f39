"""Declared tools: which ones each command really ran, their versions in the mark and in the
cache key, version commands that fail, and the help that describes the general use."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from faqkb.model import Command
from faqkb.verify import tools
from tests.kbutil import MINIMAL, make_project, set_plugin_options


def entry(eid: str, commands: str) -> str:
    return MINIMAL.format(id=eid) + "commands:\n" + commands


def python_version() -> str:
    out = subprocess.run(["/usr/bin/python3", "--version"], capture_output=True, text=True, timeout=20,
                         check=True, env={"PATH": "/usr/bin:/bin"}, start_new_session=True)
    return out.stdout.split()[1]


def marks(page: str) -> list[str]:
    """Each command's mark: its tooltip (the tools it ran, the date), then its text."""
    return [f"{title} | {text}" for title, text in
            re.findall(r'<p class="faqkb-mark faqkb-mark-\w+" title="([^"]*)">([^<]*)</p>', page)]


def entry_line(page: str) -> str:
    m = re.search(r'<p class="faqkb-entry-mark faqkb-entry-mark-\w+">([^<]*)</p>', page)
    assert m, page
    return m.group(1)


def render(faqkb, project: Path) -> str:
    res = faqkb(project, "render", "--out", str(project.parent / "out"))
    assert res.returncode == 0, res.stderr
    # every question's page, one after the other
    return "".join(p.read_text() for p in sorted((project.parent / "out" / "faq").glob("*.md")))


def test_each_mark_names_the_tools_that_command_ran(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": entry("alpha", """\
  - run: python3 -c 'print(1)'
  - run: echo no tool here
  - run: fake -v; cd . && x=$(python3 -c 'print(2)') && echo "$x"
  - run: echo 'python3 and openssl are only words here'
""")})
    set_plugin_options(project, tools={"python3": "python3 --version", "fake": "echo fake 4.2.0-rc1"})
    (project / "docs" / "faq" / "alpha.yml").write_text(
        (project / "docs" / "faq" / "alpha.yml").read_text().replace("fake -v;", "fake() { :; }; fake;"))
    page = render(faqkb, project)
    py = python_version()
    date = r"\d{4}-\d\d-\d\d"
    got = marks(page)
    assert re.fullmatch(rf"with python3 {re.escape(py)}, on {date} \| Verified: exit 0", got[0]), got
    assert re.fullmatch(rf"on {date} \| Verified: exit 0", got[1]), got
    assert re.fullmatch(rf"with python3 {re.escape(py)} and fake 4\.2\.0-rc1, on {date} \| Verified: exit 0", got[2]), got
    assert re.fullmatch(rf"on {date} \| Verified: exit 0", got[3]), got
    # ... and the entry's one line names them all, once, with the date.
    assert re.fullmatch(rf"4 commands checked with python3 {re.escape(py)} and fake 4\.2\.0-rc1 on {date}: "
                        r"4 verified\.", entry_line(page)), entry_line(page)
    assert "OpenSSL" not in page


def test_without_declared_tools_openssl_curl_and_httpd_are_the_tools(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": entry("alpha", """\
  - run: openssl version
  - run: curl --version | head -1
  - run: ls -a
""")})
    got = marks(render(faqkb, project))
    assert re.fullmatch(r"with OpenSSL 3\.\d+\.\d+\S*, on \S+ \| Verified: exit 0", got[0]), got
    assert re.fullmatch(r"with curl \d+\.\d+\.\d+\S*, on \S+ \| Verified: exit 0", got[1]), got
    assert re.fullmatch(r"on \S+ \| Verified: exit 0", got[2]), got


def test_the_cache_key_has_the_versions_of_the_tools_an_entry_uses(tmp_path: Path, faqkb) -> None:
    version = tmp_path / "mytool-version"
    version.write_text("mytool 1.0\n")
    project = make_project(tmp_path / "kb", {
        "uses": entry("uses", "  - run: mytool() { echo ran; }; mytool\n"),
        "other": entry("other", "  - run: python3 -c 'print(3)'\n"),
    })
    set_plugin_options(project, tools={"mytool": f"cat {version}", "python3": "python3 --version"})

    def statuses() -> dict[str, str]:
        res = faqkb(project, "verify", "--json")
        assert res.returncode == 0, res.stderr
        return {r["entry"]: r["status"] for r in json.loads(res.stdout)["commands"]}

    assert statuses() == {"uses": "passed", "other": "passed"}
    assert statuses() == {"uses": "cached", "other": "cached"}
    version.write_text("mytool 1.1\n")  # a new mytool: only the entry that runs it runs again
    assert statuses() == {"uses": "passed", "other": "cached"}
    results = json.loads((project / ".faqkb-cache" / "results" / "uses.json").read_text())
    assert results["tools"] == {"mytool": "1.1"} and results["commands"][0]["tools"] == ["mytool"]


@pytest.mark.parametrize(("command", "message"), [
    ("false", r"tools\.mytool: `false` failed \(exit 1: no output\); give a command that prints the version"),
    ("echo no number", r"tools\.mytool: `echo no number` printed no version number \('no number'\)"),
    ("sh -c 'echo broken >&2; exit 3'", r"failed \(exit 3: broken\)"),
])
def test_a_failing_version_command_is_reported_where_it_is_declared(tmp_path: Path, faqkb, command: str,
                                                                     message: str) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: mytool() { :; }; mytool\n")})
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace(
        "plugins: [faqkb]", f"plugins:\n  - faqkb:\n      tools:\n        mytool: {json.dumps(command)}"))
    for args in (("verify",), ("build",)):
        res = faqkb(project, *args)
        assert res.returncode == 2, (args, res.stderr)
        assert re.search(rf"{re.escape(str(cfg))}:6:9: .*{message}", res.stderr), res.stderr
        assert "Traceback" not in res.stderr


def test_a_hanging_version_command_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "PROBE_TIMEOUT", 0.5)
    with pytest.raises(tools.ToolError, match=r"`sleep 30` did not finish in 0\.5 s"):
        tools.probe("slow", "sleep 30")


def test_a_declared_tool_that_is_not_installed_is_a_note(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": entry("alpha", "  - run: faqkb-no-such-tool --x\n"
                                                             "    requires: [faqkb-no-such-tool]\n")})
    set_plugin_options(project, tools={"faqkb-no-such-tool": "faqkb-no-such-tool --version"})
    res = faqkb(project, "verify")
    assert res.returncode == 0, res.stderr
    assert "note: faqkb-no-such-tool is not installed here (tools.faqkb-no-such-tool)" in res.stderr


@pytest.mark.parametrize(("value", "message"), [
    ("[git]", "tools must be a mapping of tool names"),
    ("{git: 3}", "tools.git must be the command that prints its version"),
    ("{'a b': x}", "tool name 'a b' must be a program name"),
])
def test_bad_tools_option_is_refused_at_its_line(tmp_path: Path, faqkb, value: str, message: str) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha")})
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("plugins: [faqkb]", f"plugins:\n  - faqkb:\n      tools: {value}"))
    res = faqkb(project, "verify")
    assert res.returncode == 2 and re.search(rf"mkdocs\.yml:\d+:\d+: {re.escape(message)}", res.stderr), res.stderr


@pytest.mark.parametrize(("run", "names"), [
    ("cd demo && git status | head -1", ["git"]),
    ("sudo -u bob git log; xargs -I{} openssl x509 -in {} < list", ["git", "openssl"]),
    ("env -i PATH=/x GIT_DIR=y git status", ["git"]),
    ("timeout -s KILL 5 curl -sS x", ["curl"]),
    ('echo $(git rev-parse HEAD) "$(openssl version)"', ["git", "openssl"]),
    ("bash -c 'openssl version && curl -V'", ["openssl", "curl"]),
    ("FOO=1 git commit -m x 2>&1 >/dev/null | tee log", ["git"]),
    ("if git diff --quiet; then openssl version; fi", ["git", "openssl"]),
    ("echo git openssl curl; cat <<EOF\ngit\nEOF\nls", []),
    ("command -v git || for x in git curl; do echo $x; done", []),
    ("apachectl configtest", ["httpd"]),
    ("/usr/bin/openssl version", ["openssl"]),
])
def test_a_command_uses_a_tool_when_it_is_a_command_word(run: str, names: list[str]) -> None:
    assert tools.command_tools(Command(run=run), ["git", "openssl", "curl", "httpd"], {}) == \
        [n for n in ["git", "openssl", "curl", "httpd"] if n in names]


def test_a_snippet_script_the_command_runs_counts_too() -> None:
    scripts = {"sign.sh": "#!/bin/sh\nset -e\nopenssl x509 -req -in \"$1\"\n", "data.txt": "curl\n"}
    for run in ("./sign.sh x.csr", "sh sign.sh x.csr", "bash ./sign.sh"):
        assert tools.command_tools(Command(run=run), ["openssl", "curl"], scripts) == ["openssl"], run
    assert tools.command_tools(Command(run="cat data.txt"), ["openssl", "curl"], scripts) == []
    assert tools.command_tools(Command(run="true", scenario="httpd"), ["httpd"], {}) == ["httpd"]


def test_help_describes_the_general_use(faqkb, tmp_path: Path) -> None:
    out = " ".join(faqkb(tmp_path, "--help", timeout=60).stdout.split())
    assert "on any subject" in out and "git, python, curl" in out and "`tools`" in out


def test_version_conditions_compare_as_many_numbers_as_they_write() -> None:
    from faqkb.model import version_holds, version_words

    assert version_holds(">=3.5", "3.5.7") and not version_holds(">=3.5", "3.0.19")
    assert version_holds("<3.5", "3.0.19") and not version_holds("<3.5", "3.5.0")
    assert version_holds("==3.0", "3.0.19") and version_holds("3.0", "3.0.2")
    assert not version_holds(">3.5", "3.5.9") and version_holds(">3.5", "3.6.0")
    assert version_holds(">=3.0,<3.5", "3.2.1") and not version_holds(">=3.0,<3.5", "3.5.1")
    assert version_holds("!=2", "3.1") and version_holds(">=9.2", "9.2p1")
    assert not version_holds(">=1", "")  # not installed: no condition holds
    assert version_words(">=3.0,<3.5") == "3.0 and later and before 3.5"
