"""Hostile commands against the bubblewrap sandbox: each entry tries one escape or one abuse.

One small KB holds every hostile entry; ``faqkb verify`` runs it once (a module fixture, all
entries in parallel) with a canary in its environment, while this test polls faqkb's memory.
Each test then checks one entry: its outcome (a clear failure, or the containment its own
expectations assert) and, on the host, that nothing it tried is left: no process, no port, no
file outside its sandbox, the project tree byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from faqkb.proc.pidlimit import PIDS_LIMIT, pids_parent, pids_problem
from faqkb.proc.sandbox import sandbox_problem
from tests.kbutil import MINIMAL, faqkb_argv, make_project, processes_matching, tool_env

pytestmark = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))

MARK = f"faqkb-hostile-{os.getpid()}"
CANARY = f"canary-{os.getpid()}-hunter2"
REAL_HOME = Path(pwd.getpwuid(os.getuid()).pw_dir)
MAX_RSS_MB = 150  # faqkb's own peak, while commands print gigabytes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PORT = _free_port()


def _sleeper(name: str) -> str:
    """A sleep whose command line carries this run's mark and ``name`` (found in /proc)."""
    return f"bash -c 'exec -a {MARK}-{name} sleep 300'"


#: id -> (command, timeout, extra YAML for the command).
HOSTILE: dict[str, tuple[str, int, str]] = {
    "hang": (_sleeper("hang"), 2, ""),
    "background": (f"{_sleeper('bg')} >/dev/null 2>&1 & echo started", 10, ""),
    "setsid-f": (f"setsid -f {_sleeper('setsidf')} >/dev/null 2>&1; echo started", 10, ""),
    "doublefork-setsid": (f"( setsid bash -c \"{_sleeper('dfs')} >/dev/null 2>&1 &\" & ); sleep 0.3; "
                          "echo started", 10, ""),
    "trapterm": (f"trap '' TERM; exec -a {MARK}-term sleep 300", 2, ""),
    "trapterm-setsid": (f"setsid bash -c \"trap '' TERM; exec -a {MARK}-termsetsid sleep 300\" "
                        ">/dev/null 2>&1 & sleep 300", 2, ""),
    "flood": ("yes | head -c 3G", 120, "    expect: {exit: 141}\n"),
    "longline": ("head -c 2G /dev/zero | tr '\\0' x", 120, ""),
    "membomb": ("python3 -c 'a=bytearray(8*10**9)'", 30,
                "    expect: {exit: 1, stderr: [MemoryError]}\n"),
    "port": (f"setsid python3 -m http.server {PORT} --bind 127.0.0.1 >/dev/null 2>&1 & sleep 1; "
             f"curl -s -o /dev/null -w '%{{http_code}}' http://127.0.0.1:{PORT}/", 10,
             "    expect: {stdout: ['^200$']}\n"),
    "write-tmp": (f"echo pwned > /tmp/{MARK}-abs; cat /tmp/{MARK}-abs", 10, ""),
    "write-parent": (f"echo pwned > ../{MARK}-rel; true", 10, ""),
    "write-home": (f"echo pwned > \"$(getent passwd \"$(id -un)\" | cut -d: -f6)/{MARK}-home\"; true",
                   10, ""),
    "read-home": ("ls -A \"$(getent passwd \"$(id -un)\" | cut -d: -f6)\" | wc -l", 10,
                  "    expect: {stdout: ['^0$']}\n"),
    "write-project": ("echo pwned > /proc/$PPID/cwd/PWNED.txt; echo pwned >> /proc/$PPID/cwd/mkdocs.yml; "
                      "echo pwned > /proc/1/cwd/PWNED.txt; echo pwned >> \"$PROJECT/mkdocs.yml\"; "
                      "echo pwned > \"$PROJECT/docs/PWNED.md\"; true", 10, ""),
    "environ": ("env; for f in /proc/$PPID/environ /proc/[0-9]*/environ; do tr '\\0' '\\n' < $f; done "
                "2>/dev/null; true", 10, f"    expect: {{output_not: [{CANARY}]}}\n"),
    "stop-parent": ("kill -STOP $PPID; echo still-running", 3, ""),
    # Every process it starts carries the mark (a fork keeps the command line).
    "sleeploop": (f"while true; do (exec -a {MARK}-sleeploop sleep 100) & done", 10, ""),
}
#: A real fork bomb runs only where a limit contains it (a pids cgroup, or RLIMIT_NPROC for a
#: normal user); as root without a cgroup nothing would stop it before its timeout.
BOMBS_CONTAINED = pids_problem() is None or os.geteuid() != 0


def _entry(eid: str, run: str, timeout: int, extra: str) -> str:
    return (MINIMAL.format(id=eid) + "commands:\n"
            f"  - run: {json.dumps(run)}\n    timeout: {timeout}\n" + extra)


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if ".faqkb-cache" in p.parts:
            continue
        digest.update(p.relative_to(root).as_posix().encode() + b"\0")
        if p.is_file() and not p.is_symlink():
            digest.update(p.read_bytes())
    return digest.hexdigest()


class Run(NamedTuple):
    project: Path
    tmpdir: Path
    records: dict[str, list[dict[str, Any]]]
    stderr: str
    seconds: float
    max_rss_mb: float
    digest_before: str
    digest_after: str


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("hostile")
    project = make_project(base / "kb", {eid: _entry(eid, *spec) for eid, spec in HOSTILE.items()})
    tmpdir = base / "tmp"
    tmpdir.mkdir(mode=0o711)
    env = tool_env(base, {"TMPDIR": str(tmpdir), "FAQKB_HOSTILE_CANARY": CANARY,
                          "AWS_SECRET_ACCESS_KEY": CANARY})
    # The commands see the project path only through this text (it is not in their env).
    for p in (project / "docs" / "faq").glob("write-project.yml"):
        p.write_text(p.read_text().replace("$PROJECT", str(project)))
    before = _tree_digest(project)
    start = time.monotonic()
    proc = subprocess.Popen(faqkb_argv("verify", "--json", "--no-cache", "--jobs", "4"), cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    peak = 0.0
    try:
        while proc.poll() is None and time.monotonic() - start < 240:
            peak = max(peak, _rss_mb(proc.pid))
            time.sleep(0.05)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    seconds = time.monotonic() - start
    records: dict[str, list[dict[str, Any]]] = {}
    for rec in json.loads(out)["commands"]:
        records.setdefault(rec["entry"], []).append(rec)
    return Run(project, tmpdir, records, err, seconds, peak, before, _tree_digest(project))


def _status(run: Run, eid: str) -> dict[str, Any]:
    (rec,) = run.records[eid]
    return rec


def _nothing_left(name: str) -> None:
    assert processes_matching(f"{MARK}-{name}") == []


def test_the_run_ends_in_time_with_faqkb_memory_bounded(hostile: Run) -> None:
    assert set(hostile.records) == set(HOSTILE), hostile.stderr
    assert hostile.seconds < 120  # nothing froze faqkb or made it wait for a survivor
    assert 0 < hostile.max_rss_mb < MAX_RSS_MB
    assert "WITHOUT the sandbox" not in hostile.stderr
    assert processes_matching(MARK) == []


@pytest.mark.parametrize("eid,name", [("hang", "hang"), ("trapterm", "term"),
                                      ("trapterm-setsid", "termsetsid")])
def test_a_hang_times_out_and_nothing_survives(hostile: Run, eid: str, name: str) -> None:
    rec = _status(hostile, eid)
    assert rec["status"] == "failed" and any("timed out" in f for f in rec["failures"])
    assert rec["seconds"] < HOSTILE[eid][1] + 2
    _nothing_left(name)


@pytest.mark.parametrize("eid,name", [("background", "bg"), ("setsid-f", "setsidf"),
                                      ("doublefork-setsid", "dfs")])
def test_escaped_children_are_killed_with_the_entry(hostile: Run, eid: str, name: str) -> None:
    assert _status(hostile, eid)["status"] == "passed"
    _nothing_left(name)


@pytest.mark.skipif(not BOMBS_CONTAINED, reason="root without a pids cgroup: no process limit")
def test_a_fork_bomb_is_contained_and_nothing_survives(tmp_path: Path, faqkb) -> None:
    # Its own run: at the limit a fork bomb still churns the CPU until its timeout, which
    # would slow the other hostile entries' own timing down.
    bomb = _entry("forkbomb", f"exec -a {MARK}-bomb bash -c ':(){{ :|:& }};:; sleep 300'", 6, "")
    quick = _entry("bystander", "echo still-here", 30, "    expect: {stdout: [still-here]}\n")
    project = make_project(tmp_path / "kb", {"forkbomb": bomb, "bystander": quick})
    res = faqkb(project, "verify", "--json", "--no-cache", timeout=120)
    records = {r["entry"]: r for r in json.loads(res.stdout)["commands"]}
    rec = records["forkbomb"]
    assert rec["status"] == "failed" and rec["seconds"] < 6 + 5, res.stderr
    if pids_problem() is None:  # the cgroup counts what it refused
        assert f"reached the sandbox's limit of {PIDS_LIMIT} processes and threads" in rec["failures"][0]
    else:
        assert "fork" in "\n".join(rec["failures"]) and any("timed out" in f for f in rec["failures"])
    assert records["bystander"]["status"] == "passed"  # faqkb itself went on working
    _nothing_left("bomb")
    parent = pids_parent()
    assert parent is None or list(parent.glob("faqkb-*-faqkb-forkbomb-*")) == []  # cgroup removed


def test_starting_background_jobs_forever_ends_at_the_timeout(hostile: Run) -> None:
    rec = _status(hostile, "sleeploop")
    assert rec["status"] == "failed" and any("timed out" in f for f in rec["failures"])
    _nothing_left("sleeploop")


def test_gigabytes_of_output_are_capped(hostile: Run) -> None:
    assert _status(hostile, "flood")["status"] == "passed"  # exit 141: SIGPIPE under pipefail
    assert _status(hostile, "longline")["status"] == "passed"
    assert hostile.max_rss_mb < MAX_RSS_MB


def test_a_memory_bomb_fails_under_the_limit(hostile: Run) -> None:
    assert _status(hostile, "membomb")["status"] == "passed"  # exit 1 with MemoryError


def test_a_port_left_listening_is_closed_after_the_entry(hostile: Run) -> None:
    assert _status(hostile, "port")["status"] == "passed"  # it did listen, inside
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", PORT))


def test_writes_outside_the_sandbox_land_nowhere_real(hostile: Run) -> None:
    # /tmp inside is a throwaway tmpfs (the write "works" there); the others are read-only.
    assert _status(hostile, "write-tmp")["status"] == "passed"
    assert not Path(f"/tmp/{MARK}-abs").exists()
    assert list(hostile.tmpdir.glob(f"{MARK}*")) == []
    assert not (REAL_HOME / f"{MARK}-home").exists()
    assert not (hostile.tmpdir.parent / f"{MARK}-rel").exists()


def test_the_real_home_is_hidden(hostile: Run) -> None:
    if not any(REAL_HOME.iterdir()):
        pytest.skip(f"{REAL_HOME} is empty: hiding it cannot be told from showing it")
    assert _status(hostile, "read-home")["status"] == "passed", _status(hostile, "read-home")


def test_the_project_tree_stays_byte_identical(hostile: Run) -> None:
    assert _status(hostile, "write-project")["status"] == "passed"
    assert hostile.digest_after == hostile.digest_before
    assert not (hostile.project / "PWNED.txt").exists()


def test_faqkbs_environment_is_unreachable(hostile: Run) -> None:
    assert _status(hostile, "environ")["status"] == "passed", _status(hostile, "environ")
    assert CANARY not in json.dumps(hostile.records)


def test_kill_stop_parent_does_not_freeze_faqkb(hostile: Run) -> None:
    # $PPID is 0 inside (faqkb is outside the PID namespace): the shell only stops itself,
    # and faqkb's timeout ends it as any hang.
    rec = _status(hostile, "stop-parent")
    assert rec["seconds"] < HOSTILE["stop-parent"][1] + 2
    assert hostile.seconds < 120


DAEMON = """\
httpd:
  expect_start: false
  fixtures: [server]
  config: |
    Listen 443
    <VirtualHost *:443>
        SSLEngine on
        SSLCertificateFile /etc/ssl/certs/fullchain.crt
        SSLCertificateKeyFile /etc/ssl/private/server.key
    </VirtualHost>
commands:
  - run: apachectl -k start && sleep 1 && echo started
    expect: {stdout: [started]}
  - scenario: httpd
    run: curl -sS --cacert ca.crt {{ url }}
    fixtures: [ca]
    expect: {stdout: [It works]}
"""


def test_an_httpd_a_command_daemonized_serves_later_commands_and_dies_with_the_entry(
        tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"daemon": MINIMAL.format(id="daemon") + DAEMON})
    res = faqkb(project, "verify", "--strict", "--no-cache", timeout=120)
    assert res.returncode == 0, res.stderr
    assert processes_matching("apache2", str(tmp_path)) == []
    assert processes_matching("apache2", "faqkb-daemon-") == []


def test_without_the_sandbox_it_says_so_and_strict_fails(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"plain": MINIMAL.format(id="plain")
                                      + "commands:\n  - run: echo hi\n"})
    env = {"FAQKB_SANDBOX": "off"}
    res = faqkb(project, "verify", env=env)
    assert res.returncode == 0  # the command passed; the run is marked, not failed
    assert "1 entry ran WITHOUT the sandbox (plain): FAQKB_SANDBOX=off" in res.stderr
    strict = faqkb(project, "verify", "--strict", env=env)
    assert strict.returncode == 1 and "--strict: failing" in strict.stderr
    build = faqkb(project, "build", "--strict", env=env, timeout=300)
    assert build.returncode != 0 and "WITHOUT the sandbox" in build.stderr
    sandboxed = faqkb(project, "verify", "--strict")  # not reused from the unsandboxed run
    assert sandboxed.returncode == 0 and "WITHOUT" not in sandboxed.stderr
    assert "0 cached" in sandboxed.stderr


def test_an_entry_that_runs_no_command_leaves_no_sandbox(tmp_path: Path, faqkb) -> None:
    # No apache2 here: every command is unverified, so the namespace is closed while bwrap
    # may still be setting it up (closing its pipes then used to leave bwrap stuck forever).
    eid = f"norun-{os.getpid()}"
    project = make_project(tmp_path, {eid: MINIMAL.format(id=eid) + DAEMON})
    res = faqkb(project, "verify", env={"FAQKB_APACHE2": str(tmp_path / "no-apache2")})
    assert res.returncode == 1 and "UNVERIFIED" in res.stderr
    time.sleep(0.2)
    assert processes_matching("bwrap", f"faqkb-{eid}-") == []
