"""The sandboxed process runner: timeouts kill the whole group, output is kept, stdin is data."""

from __future__ import annotations

import time
from pathlib import Path

from faqkb.run import shell as sandbox
from tests.kbutil import alive


def test_output_streams_and_order(tmp_path: Path) -> None:
    env = sandbox.sandbox_env(tmp_path)
    res = sandbox.run("echo out1; echo err1 >&2; sleep 0.05; echo out2", tmp_path, env)
    assert res.exit_code == 0
    assert res.stdout == "out1\nout2\n"
    assert res.stderr == "err1\n"
    assert res.combined.index("err1") < res.combined.index("out2")


def test_environment_is_explicit_and_inside_sandbox(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("FAQKB_SECRET_LEAK", "x")
    env = sandbox.sandbox_env(tmp_path)
    res = sandbox.run('echo "$HOME|$TMPDIR|$PWD|${FAQKB_SECRET_LEAK:-unset}"', tmp_path, env)
    home, tmp, pwd, leak = res.stdout.strip().split("|")
    assert home.startswith(str(tmp_path)) and tmp.startswith(str(tmp_path))
    assert pwd == str(tmp_path)
    assert leak == "unset"


def test_stdin_is_fed_as_data(tmp_path: Path) -> None:
    res = sandbox.run("tr a-z A-Z", tmp_path, sandbox.sandbox_env(tmp_path), stdin="hello $(id)\n")
    assert res.stdout == "HELLO $(ID)\n"


def test_large_stdin_and_output_do_not_deadlock(tmp_path: Path) -> None:
    data = "x" * 300_000 + "\n"
    res = sandbox.run("cat; cat >&2 </dev/null", tmp_path, sandbox.sandbox_env(tmp_path), stdin=data)
    assert len(res.stdout) == len(data)


def test_no_terminal_stdin_is_empty(tmp_path: Path) -> None:
    res = sandbox.run("cat; echo done", tmp_path, sandbox.sandbox_env(tmp_path), timeout=5)
    assert res.stdout == "done\n" and not res.timed_out


def test_timeout_kills_the_whole_group_and_keeps_partial_output(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    cmd = f"sleep 300 & echo $! > {pidfile}; (sleep 300; echo never) & echo $! >> {pidfile}; echo started; sleep 300"
    res = sandbox.run(cmd, tmp_path, sandbox.sandbox_env(tmp_path), timeout=1)
    assert res.timed_out and res.exit_code is None
    assert "started" in res.stdout
    time.sleep(0.1)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert pids and not any(alive(p) for p in pids)


def test_background_children_do_not_outlive_a_finished_command(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    res = sandbox.run(f"sleep 300 >/dev/null 2>&1 & echo $! > {pidfile}", tmp_path,
                      sandbox.sandbox_env(tmp_path), timeout=10)
    assert res.exit_code == 0
    time.sleep(0.1)
    assert not alive(int(pidfile.read_text()))


def test_pipefail(tmp_path: Path) -> None:
    res = sandbox.run("false | cat", tmp_path, sandbox.sandbox_env(tmp_path))
    assert res.exit_code == 1
