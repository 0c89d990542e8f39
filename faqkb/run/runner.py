"""Run one entry's commands, in order, in one fresh sandbox, and check each one.

The runner knows nothing about MkDocs or the CLI: it takes an :class:`Entry` and a
:class:`RunContext` (the run's PKI, reference server and tool versions) and returns
an :class:`EntryResult` whose outputs are already in the reader's terms (sandbox
paths and ephemeral ports replaced by what the page shows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from faqkb import placeholders
from faqkb._util import plural, tail
from faqkb.httpd.config import READER_PATHS, HttpdError
from faqkb.httpd.process import HttpdProcess
from faqkb.model import HTTPD_SCENARIO, Command, Entry, Expect
from faqkb.proc import spawn
from faqkb.proc.pidlimit import PIDS_LIMIT
from faqkb.proc.sandbox import Sandbox
from faqkb.results import FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult
from faqkb.run import expectations, shell
from faqkb.run.display import Display
from faqkb.run.redact import redact
from faqkb.tlsserver.scenarios import SCENARIOS, shown_names

if TYPE_CHECKING:
    from faqkb.pki.authority import Pki

MAX_LOG_LINES = 8
_LOG_SETTLE = 1.0  # seconds a server may take to log what the client already saw


class Listener(Protocol):
    """A leased reference-server listener (see :mod:`faqkb.tlsserver.server`)."""

    host: str
    port: int
    cafile: Path

    def log_mark(self) -> int: ...
    def log_since(self, mark: int) -> str: ...
    def close(self) -> None: ...


@dataclass
class RunContext:
    """What every entry of one verification run shares."""

    get_pki: Callable[[], Pki]
    lease: Callable[[str], Listener]
    snippets_dir: Path | None
    httpd_problem: str | None = None
    #: Where the reader runs the commands, and their home (see :mod:`faqkb.run.display`).
    reader_dir: str = "/home/user/demo"
    reader_home: str = "/home/user"
    keep_sandboxes: bool = False
    on_command: Callable[[Entry, int, CommandResult], None] | None = None
    #: A further check of each command's result, which may fail it (the verifier's snapshot
    #: comparison); it runs before ``on_command`` sees the result.
    check: Callable[[Entry, int, CommandResult], None] | None = None
    #: Set on Ctrl-C: running commands are killed, remaining ones skipped, servers stopped.
    cancel: threading.Event = field(default_factory=threading.Event)
    #: Runs an entry's teardown (stop servers, remove the sandbox) later; None: at once.
    defer: Callable[[Callable[[], None]], None] | None = None
    #: The tools' versions, ``{name: version}``: they choose a command's ``expect.when`` case.
    versions: dict[str, str] = field(default_factory=dict)


@dataclass
class _Server:
    values: dict[str, str]
    log_mark: Callable[[], int]
    log_since: Callable[[int], str]


def _reference_values(listener: Listener, scenario: str) -> dict[str, str]:
    scheme = SCENARIOS[scenario].scheme
    return {
        "server": f"{listener.host}:{listener.port}",
        "host": listener.host,
        "port": str(listener.port),
        "url": f"{scheme}://{listener.host}:{listener.port}/",
        "cafile": str(listener.cafile),
    }


@contextlib.contextmanager
def _sandbox(entry: Entry, keep: bool) -> Iterator[Path]:
    box = Path(tempfile.mkdtemp(prefix=f"faqkb-{entry.id}-"))
    try:
        yield box
    finally:
        if not keep:
            shutil.rmtree(box, ignore_errors=True)


def _httpd_reader_paths(entry: Entry) -> list[tuple[str, str]]:
    """Where httpd's files are for a reader, so its messages name the reader's paths."""
    pairs = [("conf/entry.conf", "httpd.conf"), ("modules", "/usr/lib/apache2/modules")]
    pairs += [(rel.strip("/"), reader) for reader, rel in entry.httpd.paths] if entry.httpd else []
    for reader, rel in READER_PATHS:
        if rel and rel not in {p[0] for p in pairs}:
            pairs.append((rel, reader))
    return pairs


def requires_reason(missing: list[str]) -> str:
    """Why a command did not run: ``requires git, which is not installed here``."""
    names = missing[0] if len(missing) == 1 else ", ".join(missing[:-1]) + " and " + missing[-1]
    which = "which is" if len(missing) == 1 else "which are"
    return f"requires {names}, {which} not installed here"


class _EntryRun:
    """One entry's run: its sandbox, environment, servers and the reader's view of them.

    Everything it starts (listeners, httpd, the sandbox) is registered on ``stack``, so
    closing the stack tears all of it down, in reverse order.
    """

    def __init__(self, entry: Entry, ctx: RunContext, box: Path, stack: contextlib.ExitStack) -> None:
        self.entry = entry
        self.ctx = ctx
        self.box = box
        self.stack = stack
        # Before httpd (entered below), so closing the stack stops httpd first, then kills
        # whatever is left in the namespace, then removes the directory.
        self.confine = stack.enter_context(Sandbox(box, read_only=self._visible_outside()))
        self.display = Display(box, ctx.reader_dir, ctx.reader_home)
        self.servers: dict[str, _Server] = {}
        self.httpd: HttpdProcess | None = None
        #: Why httpd commands cannot run (httpd missing here, or it failed to start).
        self.httpd_error: str | None = None
        # httpd starts just before the first command that talks to it, so the commands
        # before can prepare what it needs (or show the configuration being written).
        self.httpd_pending = False
        self.env = shell.sandbox_env(box, self._prepare_httpd())

    def _visible_outside(self) -> list[Path]:
        """Files outside the sandbox dir its commands must read: the reference server's CA."""
        if any(c.scenario and c.scenario != HTTPD_SCENARIO for c in self.entry.commands):
            return [self.ctx.get_pki().cafile]
        return []

    # ----------------------------------------------------------------- files
    def materialize(self, names: tuple[str, ...]) -> None:
        """Write the named fixtures into the sandbox."""
        if names:
            from faqkb.pki.fixtures import materialize  # deferred: imports cryptography

            materialize(names, self.box, self.ctx.get_pki())

    def copy_snippets(self, names: tuple[str, ...]) -> None:
        """Copy the named snippet files into the sandbox."""
        with spawn.writing():  # snippets are often scripts: see faqkb.proc.spawn (ETXTBSY)
            for name in names:
                assert self.ctx.snippets_dir is not None  # the loader checked the files exist
                dest = self.box / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self.ctx.snippets_dir / name, dest)

    # ----------------------------------------------------------------- servers
    def _prepare_httpd(self) -> dict[str, str]:
        """Write the entry's httpd files (not started yet); return what commands' env adds."""
        spec = self.entry.httpd
        if spec is None or not self.entry.uses_httpd:
            return {}
        if self.ctx.httpd_problem:
            self.httpd_error = self.ctx.httpd_problem
            return {}
        self.materialize(spec.fixtures)
        self.copy_snippets(spec.snippets)
        self.httpd = self.stack.enter_context(HttpdProcess(spec, self.box, confine=self.confine,
                                                          cancel=self.ctx.cancel))
        self.display.add_paths(_httpd_reader_paths(self.entry) + self.httpd.config.reader_files())
        try:
            values, env_add = self.httpd.prepare()
        except HttpdError as exc:  # a module this machine lacks, a file it cannot place
            self.httpd_error = redact(self.display(str(exc)))
            self.httpd_pending = False
            return {}
        self.display.add_server(values, placeholders.NAMES)
        self.servers[HTTPD_SCENARIO] = _Server(values, self.httpd.log_mark, self.httpd.log_since)
        self.httpd_pending = spec.expect_start
        return env_add

    def start_httpd_if_due(self, cmd: Command) -> None:
        """Start httpd before the first command that talks to it."""
        if not (self.httpd_pending and cmd.scenario == HTTPD_SCENARIO and self.httpd is not None):
            return
        self.httpd_pending = False
        try:
            self.httpd.start()
        except HttpdError as exc:
            self.httpd_error = redact(self.display(str(exc)))

    def server_for(self, scenario: str) -> _Server:
        """The server ``scenario`` names: the entry's httpd, or a leased reference listener."""
        if scenario not in self.servers:
            listener = self.ctx.lease(scenario)
            self.stack.callback(listener.close)
            values = _reference_values(listener, scenario)
            self.display.add_server(values, shown_names(scenario))
            self.display.add_file(values["cafile"], shown_names(scenario)["cafile"])
            self.servers[scenario] = _Server(values, listener.log_mark, listener.log_since)
        return self.servers[scenario]

    # ----------------------------------------------------------------- commands
    def run(self, index: int, cmd: Command) -> CommandResult:
        """Run one command (or say why it cannot run) and check it."""
        self.start_httpd_if_due(cmd)
        if self.ctx.cancel.is_set():
            return CommandResult(index=index, status=UNVERIFIED, reason="interrupted")
        if cmd.scenario == HTTPD_SCENARIO and self.httpd_error is not None:
            if self.ctx.httpd_problem:  # no httpd here: neither proven nor disproven
                return CommandResult(index=index, status=UNVERIFIED, reason=self.httpd_error)
            why = f"httpd did not start: {self.httpd_error}"
            return CommandResult(index=index, status=FAILED, reason=why, failures=[why])
        if cmd.requires_root and os.geteuid() != 0:  # neither proven nor disproven here
            return CommandResult(index=index, status=UNVERIFIED,
                                 reason=f"requires root; faqkb runs as uid {os.geteuid()} here")
        env = shell.with_env(self.env, self.box, self.entry.env, cmd.env)
        missing = [p for p in self.entry.requires_of(cmd) if shutil.which(p, path=env["PATH"]) is None]
        if missing:  # not here: neither proven nor disproven (fatal under --strict)
            return CommandResult(index=index, status=UNVERIFIED, reason=requires_reason(missing),
                                 missing=missing)
        return self._execute(index, cmd, env)

    def _execute(self, index: int, cmd: Command, env: dict[str, str]) -> CommandResult:
        self.materialize(cmd.fixtures)
        self.copy_snippets(cmd.snippets)
        server = self.server_for(cmd.scenario) if cmd.scenario else None
        values = dict(server.values) if server else {}
        values.setdefault("cafile", str(self.box / "ca.crt"))
        mark = server.log_mark() if server else 0
        refused = self.confine.limit_hits()
        proc = shell.run(placeholders.for_run(cmd.run, values), self.box, env, stdin=cmd.stdin,
                         timeout=cmd.timeout, cancel=self.ctx.cancel, sandbox=self.confine)
        refused = self.confine.limit_hits() - refused
        expect, _ = cmd.expect.for_versions(self.ctx.versions)
        log = self._settled_log(expect, server, mark) if server else None
        # Expectations see what the page shows (reader's ports and paths), as authors write them.
        show = self.display
        shown = shell.ProcessResult(proc.exit_code, show(proc.stdout), show(proc.stderr),
                                    show(proc.combined), proc.seconds, proc.timed_out)
        shown_log = show(log) if log is not None else None
        failures = expectations.check(expect, shown, self.box, shown_log, timeout=cmd.timeout)
        if refused:  # a fork bomb, or a loop starting background jobs: say so first
            failures.insert(0, f"the command reached the sandbox's limit of {PIDS_LIMIT} processes "
                               f"and threads ({plural(refused, 'fork')} refused); every process of "
                               "an entry counts, daemons included")
        if failures:
            shown_tail = tail(redact(shown.combined))  # before the tail cuts a key's BEGIN line off
            if shown_tail:
                failures.append("output ends with:\n" + shown_tail)
            if shown_log and (expect.server_log or expect.server_log_not):
                failures.append("server log:\n" + tail(redact(shown_log)))
        matched_log = [
            ln for ln in (shown_log or "").splitlines()
            if any(re.search(p, ln) for p in expect.server_log)
        ][:MAX_LOG_LINES]
        # Results feed every published view (pages, indexes, JUnit, --json): no key in them.
        return CommandResult(
            index=index,
            status=FAILED if failures else PASSED,
            server_log=redact("\n".join(matched_log)),
            exit_code=proc.exit_code,
            stdout=redact(shown.stdout),
            stderr=redact(shown.stderr),
            combined=redact(shown.combined),
            seconds=round(proc.seconds, 3),
            timed_out=proc.timed_out,
            failures=[redact(f) for f in failures],
        )

    @staticmethod
    def _settled_log(expect: Expect, server: _Server, mark: int) -> str:
        """What the server logged since ``mark``, once the expected lines are there (or 1 s)."""
        deadline = time.monotonic() + _LOG_SETTLE
        log = server.log_since(mark)
        while not expectations.server_log_ready(expect, log) and time.monotonic() < deadline:
            time.sleep(0.02)
            log = server.log_since(mark)
        return log


def run_entry(entry: Entry, ctx: RunContext, key: str) -> EntryResult:
    """Run every command of ``entry`` in one sandbox; always cleans up servers and files."""
    date = dt.datetime.now(dt.UTC).date().isoformat()
    result = EntryResult(entry=entry.id, key=key, commands=[], date=date)
    with contextlib.ExitStack() as outer:
        stack = outer.enter_context(contextlib.ExitStack())
        box = stack.enter_context(_sandbox(entry, ctx.keep_sandboxes))
        if ctx.keep_sandboxes:
            result.sandbox = str(box)
        run = _EntryRun(entry, ctx, box, stack)
        for index, cmd in enumerate(entry.commands):
            res = run.run(index, cmd)
            if ctx.check:
                ctx.check(entry, index, res)
            result.commands.append(res)
            if ctx.on_command:
                ctx.on_command(entry, index, res)
        result.unsandboxed = run.confine.problem
        if ctx.defer is not None:
            # Stopping httpd and deleting the sandbox need no decisions: let them finish in
            # the background while this worker starts the next entry. verify_kb waits for them.
            ctx.defer(outer.pop_all().close)
    return result
