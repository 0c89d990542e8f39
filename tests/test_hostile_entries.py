"""A corpus of hostile and malformed entries: each is refused with exit 2 and
``path:line:col: message`` (within a line of its cause), never a traceback or a hang, with
bounded memory, and an existing ``site/`` is left untouched by ``faqkb build``."""

from __future__ import annotations

import os
import re
import resource
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.kbutil import MINIMAL, faqkb_argv, make_project, tool_env

M = MINIMAL.format(id="x")  # 7 lines; what a case appends starts at line 8
CMD = M + "commands:\n  - run: echo hi\n"  # the command mapping is at line 9


def _entry(text: str | bytes) -> Callable[[Path], None]:
    def write(faq: Path) -> None:
        data = text.encode() if isinstance(text, str) else text
        (faq / "x.yml").write_bytes(data)
    return write


def _side(name: str, data: bytes) -> Callable[[Path], None]:
    def write(faq: Path) -> None:
        (faq / "x.yml").write_text(M)
        (faq / name).write_bytes(data)
    return write


def _special(kind: str) -> Callable[[Path], None]:
    def write(faq: Path) -> None:
        target = faq / "x.yml"
        if kind == "zero":
            target.symlink_to("/dev/zero")
        elif kind == "fifo":
            os.mkfifo(target)
        elif kind == "dir":
            target.mkdir()
        elif kind == "dangling":
            target.symlink_to(faq / "nowhere.yml")
        elif kind == "huge":
            with open(target, "w") as f:
                f.write(M.replace("An answer.", "An answer."))
                chunk = "  " + "lorem ipsum dolor sit amet " * 37 + "\n"
                while f.tell() < 50 * 1024 * 1024:
                    f.write(chunk)
    return write


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))
HTTPD = "httpd:\n  config: |\n    Listen 443\n"

#: (case id, how to write it, file the problem is in, expected line (None: any), message regex)
CASES: list[tuple[str, Callable[[Path], None], str, int | None, str]] = [
    ("yaml-unclosed-flow", _entry(M + "aliases: [a, b\n"), "x.yml", 9, "YAML syntax error"),
    ("yaml-tab-indent", _entry(M + "aliases:\n\t- a\n"), "x.yml", 9,
     "YAML syntax error: a tab indents this line; YAML forbids tabs for indentation; use spaces"),
    ("yaml-bad-indent", _entry(M + "aliases:\n  - a\n - b\n"), "x.yml", 10, "YAML syntax error"),
    ("duplicate-key", _entry(M + "question: again?\n"), "x.yml", 8, "duplicate key 'question'"),
    ("alias", _entry(M + "aliases: &a [x]\nsee_also: *a\n"), "x.yml", 9, "aliases"),
    ("alias-bomb", _entry(M + BOMB), "x.yml", 9, "aliases"),
    ("merge-key", _entry(M + "commands:\n  - <<: {run: x}\n"), "x.yml", 9, "merge keys"),
    ("python-tag", _entry(M + "aliases: !!python/object/apply:os.system [echo]\n"), "x.yml", 8,
     "unsupported YAML tag"),
    ("custom-tag", _entry(M + "aliases: [!shout x]\n"), "x.yml", 8, "unsupported YAML tag"),
    ("set-tag", _entry(M + "aliases: !!set {a: null}\n"), "x.yml", 8, "unsupported YAML tag"),
    ("binary-tag", _entry(M + "aliases: [!!binary aGk=]\n"), "x.yml", 8, "unsupported YAML tag"),
    ("int-tag", _entry(M.replace("question: What is x?", "question: !!int abc")), "x.yml", 3,
     "cannot read 'abc' as int"),
    ("float-tag", _entry(M + "commands:\n  - run: x\n    timeout: !!float abc\n"), "x.yml", 10,
     "cannot read 'abc' as float"),
    ("bool-tag", _entry(M + "aliases: [!!bool maybe]\n"), "x.yml", 8, "cannot read 'maybe' as bool"),
    ("huge-number", _entry(M.replace("What is x?", "9" * 5000)), "x.yml", 3, "cannot read"),
    ("control-char", _entry(M + "aliases:\n  - ok\n  - \"bad \x01 char\"\n"), "x.yml", 10,
     "control character"),
    ("nul-byte", _entry(M + "aliases:\n  - ok\n  - bad \x00 char\n"), "x.yml", 10, "control character"),
    ("escape-char-in-yaml", _entry(M + "aliases:\n  - \"bell \x07\"\n"), "x.yml", 9,
     "control character"),
    ("not-utf8", _entry(M.encode() + b"aliases: [caf\xe9]\n"), "x.yml", 8, "not UTF-8"),
    ("binary-garbage", _entry(bytes(range(256)) * 4), "x.yml", 1, "not UTF-8|control character"),
    ("empty", _entry(""), "x.yml", 1, "file is empty"),
    ("only-comment", _entry("# nothing here\n"), "x.yml", 1, "file is empty"),
    ("top-level-list", _entry("- id: x\n"), "x.yml", 1, "must be a mapping"),
    ("top-level-scalar", _entry("just text\n"), "x.yml", 1, "must be a mapping"),
    ("deep-flow-nesting", _entry(M + "aliases: " + "[" * 5000 + "\n"), "x.yml", 8, "nest"),
    ("huge-file", _special("huge"), "x.yml", 1, "more than the 262144 allowed"),
    ("symlink-dev-zero", _special("zero"), "x.yml", 1, "not a regular file"),
    ("fifo", _special("fifo"), "x.yml", 1, "not a regular file"),
    ("directory", _special("dir"), "x.yml", 1, "not a regular file"),
    ("dangling-symlink", _special("dangling"), "x.yml", 1, "cannot read this file"),
    ("tags-int", _entry(M + "tags: 5\n"), "x.yml", 8, "tags must be a list"),
    ("tags-null", _entry(M + "tags:\n"), "x.yml", 8, "tags must be a list"),
    ("tags-long-string", _entry(M + "tags: " + "x" * 200_000 + "\n"), "x.yml", 8, "tags must be a list"),
    ("tag-uppercase", _entry(M + "tags: [Upper]\n"), "x.yml", 8, "not allowed"),
    ("aliases-mapping", _entry(M + "aliases: {a: b}\n"), "x.yml", 8, "aliases must be a list"),
    ("question-list", _entry(M.replace("question: What is x?", "question: [a]")), "x.yml", 3,
     "question must be a string"),
    ("answer-empty", _entry(M.replace("answer: |\n  An answer.", "answer: ''")), "x.yml", 4,
     "must not be empty"),
    ("missing-id", _entry(M.replace("id: x\n", "")), "x.yml", 1, "missing required field 'id'"),
    ("env-bad-name", _entry(M + "env: {my-var: x}\n"), "x.yml", 8, 'env name "my-var" is not allowed'),
    ("env-int-value", _entry(M + "env: {A: 1}\n"), "x.yml", 8, "env.A must be a string .*quote it"),
    ("env-list", _entry(M + "env: [A=1]\n"), "x.yml", 8, "env must be a mapping"),
    ("env-path-replaced", _entry(M + "env: {PATH: /opt/bin}\n"), "x.yml", 8, "must keep the default PATH"),
    ("env-home", _entry(CMD + "    env: {HOME: /root}\n"), "x.yml", 11, "env HOME cannot be set"),
    ("requires-path", _entry(CMD + "    requires: [/usr/bin/git]\n"), "x.yml", 11, "is not a program name"),
    ("requires-string", _entry(M + "requires: git\n"), "x.yml", 8, "requires must be a list"),
    ("legacy-item-scalar", _entry(M.split("legacy:")[0] + "legacy: [x]\n"), "x.yml", 6,
     "must be a mapping"),
    ("legacy-unknown-field", _entry(M.replace("question: \"What is x?\"}", "question: q, url: u}")),
     "x.yml", 7, "unknown field legacy\\[0\\].url"),
    ("id-not-stem", _entry(M.replace("id: x", "id: y")), "x.yml", 1, "must equal the file name stem"),
    ("id-uppercase", _entry(M.replace("id: x", "id: X")), "x.yml", 1, "lowercase letters"),
    ("unknown-field", _entry(M + "colour: red\n"), "x.yml", 8, "unknown field 'colour'"),
    ("unknown-section", _entry(M.replace("section: certificates", "section: certs")), "x.yml", 2,
     "unknown section 'certs'"),
    ("see-also-unknown", _entry(M + "see_also: [nope]\n"), "x.yml", 8, "unknown see_also entry"),
    ("see-also-self", _entry(M + "see_also: [x]\n"), "x.yml", 8, "cannot see_also itself"),
    ("link-to-nothing", _entry(M.replace("An answer.", "See [this](#nothing-here).")), "x.yml", 5,
     "which is no entry"),
    ("commands-string", _entry(M + "commands: run it\n"), "x.yml", 8, "commands must be a list"),
    ("command-int", _entry(M + "commands: [5]\n"), "x.yml", 8, "must be a mapping"),
    ("command-no-run", _entry(M + "commands:\n  - title: t\n"), "x.yml", 9, "missing required field"),
    ("run-int", _entry(M + "commands:\n  - run: 5\n"), "x.yml", 9, "run must be a string"),
    ("run-nul", _entry(M + 'commands:\n  - run: "echo a\\0b"\n'), "x.yml", 9, "NUL character"),
    ("run-too-long", _entry(M + "commands:\n  - run: " + "x" * 120_000 + "\n"), "x.yml", 9,
     "longer than 100000 bytes"),
    ("unknown-command-field", _entry(CMD + "    colour: red\n"), "x.yml", 10, "unknown field"),
    ("scenario-float", _entry(CMD + "    scenario: 1.5\n"), "x.yml", 10, "scenario must be a string"),
    ("scenario-list", _entry(CMD + "    scenario: [a]\n"), "x.yml", 10, "scenario must be a string"),
    ("scenario-unknown", _entry(CMD + "    scenario: expird\n"), "x.yml", 10,
     "unknown scenario 'expird'; did you mean 'expired'"),
    ("scenario-httpd-without-block", _entry(CMD + "    scenario: httpd\n"), "x.yml", 10,
     "needs an httpd: block"),
    ("timeout-negative", _entry(CMD + "    timeout: -1\n"), "x.yml", 10, "timeout"),
    ("timeout-string", _entry(CMD + "    timeout: soon\n"), "x.yml", 10, "timeout must be a number"),
    ("timeout-nan", _entry(CMD + "    timeout: .nan\n"), "x.yml", 10, "not NaN or infinity"),
    ("expect-files-outside", _entry(CMD + "    expect: {files: [../../etc/passwd]}\n"), "x.yml", 10,
     "must be a path inside the sandbox"),
    ("httpd-paths-relative-key", _entry(M + HTTPD + "  paths:\n    srv: x\n"), "x.yml", 12,
     "must be an absolute reader path"),
    ("multi-document", _entry(M + "---\nid: y\n"), "x.yml", 8, "single document"),
    ("complex-key", _entry(M + "? [a]\n: b\n"), "x.yml", 8, "mapping keys must be plain strings"),
    ("show-unknown", _entry(CMD + "    show: sideways\n"), "x.yml", 10, "show must be one of"),
    ("fixture-unknown", _entry(CMD + "    fixtures: [sever]\n"), "x.yml", 10,
     "unknown fixture 'sever'; did you mean 'server'"),
    ("fixtures-clash", _entry(CMD + "    fixtures: [server, encrypted-key]\n"), "x.yml", 10,
     "both write"),
    ("snippet-dotdot", _entry(CMD + "    snippets: [../README.md]\n"), "x.yml", 10,
     "plain relative path"),
    ("snippet-absolute", _entry(CMD + "    snippets: [/etc/passwd]\n"), "x.yml", 10,
     "plain relative path"),
    ("snippet-huge-name", _entry(CMD + "    snippets: [" + "x" * 100_000 + "]\n"), "x.yml", 10,
     "plain relative path"),
    ("snippet-missing", _entry(CMD + "    snippets: [nope.sh]\n"), "x.yml", 10, "not found"),
    ("placeholder-unknown", _entry(M + "commands:\n  - run: curl {{ nope }}\n"), "x.yml", 9,
     "unknown placeholder"),
    ("placeholder-needs-server", _entry(M + "commands:\n  - run: curl {{ url }}\n"), "x.yml", 9,
     "needs a server"),
    ("placeholder-unclosed-many", _entry(M + "commands:\n  - run: \"" + "{{ live: x " * 8000 + "\"\n"),
     "x.yml", 9, "never closed"),
    ("placeholder-nested", _entry(M + "commands:\n  - run: \"a {{ live: {{ show: b }} }}\"\n"), "x.yml",
     9, "never closed"),
    ("expect-list", _entry(CMD + "    expect: []\n"), "x.yml", 10, "expect must be a mapping"),
    ("expect-exit-word", _entry(CMD + "    expect: {exit: maybe}\n"), "x.yml", 10,
     'must be an integer 0-255 or "nonzero"'),
    ("expect-exit-big", _entry(CMD + "    expect: {exit: 999}\n"), "x.yml", 10, "0-255"),
    ("expect-stdout-string", _entry(CMD + "    expect: {stdout: x}\n"), "x.yml", 10, "must be a list"),
    ("expect-unknown-key", _entry(CMD + "    expect: {stdot: [x]}\n"), "x.yml", 10,
     "did you mean 'stdout'"),
    ("regex-invalid", _entry(CMD + "    expect: {stdout: ['(unclosed']}\n"), "x.yml", 10,
     "invalid regular expression"),
    ("regex-catastrophic", _entry(CMD + "    expect: {stdout: ['(a+)+$']}\n"), "x.yml", 10,
     "exponential time"),
    ("server-log-without-scenario", _entry(CMD + "    expect: {server_log: [x]}\n"), "x.yml", 10,
     "need a scenario"),
    ("httpd-string", _entry(M + "httpd: yes please\n"), "x.yml", 8, "httpd must be a mapping"),
    ("httpd-no-config", _entry(M + "httpd:\n  modules: [ssl]\n"), "x.yml", 9, "missing required field"),
    ("httpd-unknown-field", _entry(M + HTTPD + "  colour: red\n"), "x.yml", 11, "unknown field"),
    ("httpd-file-into-modules", _entry(M + HTTPD + "  files:\n    modules/evil.so: x\n"), "x.yml", 12,
     "module directory"),
    ("httpd-file-dotdot-reader", _entry(M + HTTPD + "  files:\n    /etc/ssl/certs/../x: y\n"), "x.yml",
     12, "no known reader path"),
    ("httpd-file-dotdot", _entry(M + HTTPD + "  files:\n    ../x: y\n"), "x.yml", 12,
     "leaves the sandbox"),
    ("httpd-file-unknown-reader-path", _entry(M + HTTPD + "  files:\n    /opt/x/y: z\n"), "x.yml", 12,
     "no known reader path"),
    ("httpd-paths-dotdot", _entry(M + HTTPD + "  paths:\n    /srv/www: ../..\n"), "x.yml", 12,
     "leaves the sandbox"),
    ("sections-not-utf8", _side("_sections.yml", b"- id: certificates\n  title: Caf\xe9\n"),
     "_sections.yml", 2, "not UTF-8"),
    ("sections-int-tag", _side("_sections.yml", b"- id: certificates\n  title: !!int abc\n"),
     "_sections.yml", 2, "cannot read 'abc' as int"),
    ("sections-bad-id", _side("_sections.yml", b"- id: Certs!\n  title: C\n"), "_sections.yml", 1,
     "lowercase letters"),
    ("tags-file-not-utf8", _side("_tags.yml", b"a: caf\xe9\n"), "_tags.yml", 1, "not UTF-8"),
    ("tags-file-list-value", _side("_tags.yml", b"a: [b]\n"), "_tags.yml", 1, "one-line description"),
    ("tags-file-bad-name", _side("_tags.yml", b"Bad Tag: x\n"), "_tags.yml", 1, "not allowed"),
    ("tags-file-float-tag", _side("_tags.yml", b"a: !!float abc\n"), "_tags.yml", 1,
     "cannot read 'abc' as float"),
]


def _limit_memory() -> None:  # the child's own ceiling: a regression must not take the machine
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))


def _faqkb(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*faqkb_argv(), *args], cwd=project, capture_output=True, text=True,
                          timeout=60, env=tool_env(project), start_new_session=True,
                          preexec_fn=_limit_memory, stdin=subprocess.DEVNULL, check=False)


def test_the_corpus_is_large_and_distinct() -> None:
    names = [c[0] for c in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


@pytest.mark.parametrize(("name", "write", "where", "line", "message"), CASES, ids=[c[0] for c in CASES])
def test_hostile_entry_is_refused_with_its_position(tmp_path: Path, name: str,
                                                   write: Callable[[Path], None], where: str,
                                                   line: int | None, message: str) -> None:
    project = make_project(tmp_path)
    write(project / "docs" / "faq")
    site = project / "site"
    site.mkdir()
    (site / "index.html").write_text("the previous site\n")
    for args in (("lint",), ("build", "--no-verify")):
        res = _faqkb(project, *args)
        assert res.returncode == 2, (args, res.returncode, res.stderr[-2000:])
        assert "Traceback" not in res.stderr and "Error:" not in res.stderr.split(":", 1)[0]
        found = [(int(m.group(1)), ln) for ln in res.stderr.splitlines()
                 if (m := re.match(rf".*/{re.escape(where)}:(\d+):\d+: ", ln)) and re.search(message, ln)]
        assert found, f"{args}: no {where}:LINE:COL line matching /{message}/ in:\n{res.stderr[:3000]}"
        if line is not None:
            assert any(abs(at - line) <= 1 for at, _ in found), (line, found)
        assert len(res.stderr) < 200_000  # one problem per cause, not one per character
    assert (site / "index.html").read_text() == "the previous site\n"
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
