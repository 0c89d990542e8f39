"""Run one entry's commands, in order, in one fresh sandbox, and check each one.

The runner knows nothing about MkDocs or the CLI: it takes an :class:`Entry` and a
:class:`RunContext` (the run's PKI, reference server and tool versions) and returns
an :class:`EntryResult` whose outputs are already in the reader's terms (sandbox
paths and ephemeral ports replaced by what the page shows).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from faqkb import placeholders
from faqkb.model import Command, Entry
from faqkb.proc import spawn
from faqkb.results import FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult
from faqkb.run import expectations
from faqkb.run import shell as sandbox

HTTPD = "httpd"
MAX_LOG_LINES = 8
_LOG_SETTLE = 1.0  # seconds a server may take to log what the client already saw
_DEFAULT_PORT_URL = re.compile(r"\b(https://localhost):443\b|\b(http://localhost):80\b")


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

    get_pki: Callable[[], Any]
    lease: Callable[[str], Listener]
    snippets_dir: Path | None
    tools: dict[str, str]
    httpd_problem: str | None = None
    keep_sandboxes: bool = False
    on_command: Callable[[Entry, int, CommandResult], None] | None = None
    #: Set on Ctrl-C: running commands are killed, remaining ones skipped, servers stopped.
    cancel: threading.Event = field(default_factory=threading.Event)
    #: Runs an entry's teardown (stop servers, remove the sandbox) later; None: at once.
    defer: Callable[[Callable[[], None]], None] | None = None


@dataclass
class _Server:
    values: dict[str, str]
    log_mark: Callable[[], int]
    log_since: Callable[[int], str]


class _Display:
    """Turns live text (sandbox paths, ephemeral ports) back into what the reader sees."""

    def __init__(self, box: Path) -> None:
        self.box = str(box)
        self.ports: dict[str, str] = {}
        self.paths: list[tuple[str, str]] = []

    def add_paths(self, pairs: list[tuple[str, str]]) -> None:
        """Sandbox-relative dirs and the reader paths they stand for (longest first wins)."""
        self.paths.extend((f"{self.box}/{rel}", reader) for rel, reader in pairs if rel)
        self.paths.sort(key=lambda p: -len(p[0]))

    def add_server(self, live: dict[str, str], shown: dict[str, str]) -> None:
        for name in ("port", "http_port"):
            if name in live and name in shown:
                self.ports[live[name]] = shown[name]

    def __call__(self, text: str) -> str:
        for live, reader in self.paths:
            text = text.replace(live, reader)
        text = text.replace(self.box + "/", "").replace(self.box, ".")
        for live, shown in self.ports.items():
            text = re.sub(rf"(?<=[:\s]){live}\b", shown, text)
        # A reader's URLs carry no default port: https://localhost:443/ is https://localhost/.
        return _DEFAULT_PORT_URL.sub(lambda m: m.group(1) or m.group(2), text)


def _reference_values(listener: Listener, scenario: str) -> dict[str, str]:
    scheme = "http" if scenario == "plain-http" else "https"
    return {
        "server": f"{listener.host}:{listener.port}",
        "host": listener.host,
        "port": str(listener.port),
        "url": f"{scheme}://{listener.host}:{listener.port}/",
        "cafile": str(listener.cafile),
    }


def _copy_snippets(names: tuple[str, ...], ctx: RunContext, box: Path) -> None:
    with spawn.writing():  # snippets are often scripts: see faqkb.proc.spawn (ETXTBSY)
        _copy(names, ctx, box)


def _copy(names: tuple[str, ...], ctx: RunContext, box: Path) -> None:
    for name in names:
        assert ctx.snippets_dir is not None  # the loader checked the files exist
        dest = box / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ctx.snippets_dir / name, dest)


def _materialize(names: tuple[str, ...], ctx: RunContext, box: Path) -> None:
    if names:
        from faqkb.pki.fixtures import materialize

        materialize(names, box, ctx.get_pki())


@contextlib.contextmanager
def _sandbox(entry: Entry, keep: bool) -> Iterator[Path]:
    box = Path(tempfile.mkdtemp(prefix=f"faqkb-{entry.id}-"))
    try:
        yield box
    finally:
        if not keep:
            shutil.rmtree(box, ignore_errors=True)


def run_entry(entry: Entry, ctx: RunContext, key: str) -> EntryResult:
    """Run every command of ``entry`` in one sandbox; always cleans up servers and files."""
    date = dt.datetime.now(dt.UTC).date().isoformat()
    result = EntryResult(entry=entry.id, key=key, commands=[], openssl=ctx.tools.get("openssl", ""),
                         date=date)
    with contextlib.ExitStack() as outer:
        stack = outer.enter_context(contextlib.ExitStack())
        box = stack.enter_context(_sandbox(entry, ctx.keep_sandboxes))
        display = _Display(box)
        if ctx.keep_sandboxes:
            result.sandbox = str(box)
        servers: dict[str, _Server] = {}
        extra_env: dict[str, str] = {}
        httpd_error: str | None = None
        backend = None
        if entry.httpd is not None and any(c.scenario == HTTPD for c in entry.commands):
            if ctx.httpd_problem:
                httpd_error = ctx.httpd_problem
            else:
                from faqkb.httpd.process import HttpdBackend

                _materialize(entry.httpd.fixtures, ctx, box)
                _copy_snippets(entry.httpd.snippets, ctx, box)
                backend = stack.enter_context(HttpdBackend(entry.httpd, box))
                display.add_paths(_httpd_reader_paths(entry))
                values, env_add = backend.prepare()
                extra_env.update(env_add)
                display.add_server(values, placeholders.NAMES)
                servers[HTTPD] = _Server(values, backend.log_mark, backend.log_since)
                result.tools["httpd"] = ctx.tools.get("httpd", "")
        # httpd starts just before the first command that talks to it, so the commands
        # before can prepare what it needs (or show the configuration being written).
        pending_start = backend is not None and entry.httpd is not None and entry.httpd.expect_start
        env = sandbox.sandbox_env(box, extra_env)
        for index, cmd in enumerate(entry.commands):
            if pending_start and cmd.scenario == HTTPD and backend is not None:
                pending_start = False
                from faqkb.httpd.config import HttpdError

                try:
                    backend.start()
                except HttpdError as exc:
                    httpd_error = display(str(exc))
            if ctx.cancel.is_set():
                res = CommandResult(index=index, status=UNVERIFIED, reason="interrupted")
            elif cmd.scenario == HTTPD and httpd_error is not None:
                status = UNVERIFIED if ctx.httpd_problem else FAILED
                why = httpd_error if ctx.httpd_problem else f"httpd did not start: {httpd_error}"
                res = CommandResult(index=index, status=status, reason=why,
                                    failures=[] if ctx.httpd_problem else [why])
            else:
                res = _run_command(entry, index, cmd, ctx, box, env, servers, display, stack)
            result.commands.append(res)
            if ctx.on_command:
                ctx.on_command(entry, index, res)
        if ctx.defer is not None:
            # Stopping httpd and deleting the sandbox need no decisions: let them finish in
            # the background while this worker starts the next entry. verify_kb waits for them.
            ctx.defer(outer.pop_all().close)
    return result


def _httpd_reader_paths(entry: Entry) -> list[tuple[str, str]]:
    """Where httpd's files are for a reader, so its messages name the reader's paths."""
    from faqkb.httpd.config import READER_PATHS

    pairs = [("conf/entry.conf", "httpd.conf"), ("modules", "/usr/lib/apache2/modules")]
    pairs += [(rel.strip("/"), reader) for reader, rel in entry.httpd.paths] if entry.httpd else []
    for reader, rel in READER_PATHS:
        if rel and rel not in {p[0] for p in pairs}:
            pairs.append((rel, reader))
    return pairs


def _server_for(cmd: Command, ctx: RunContext, servers: dict[str, _Server], display: _Display,
                stack: contextlib.ExitStack) -> _Server:
    scenario = cmd.scenario
    assert scenario is not None
    if scenario not in servers:
        listener = ctx.lease(scenario)
        stack.callback(listener.close)
        values = _reference_values(listener, scenario)
        shown = placeholders.PLAIN_HTTP_NAMES if scenario == "plain-http" else placeholders.NAMES
        display.add_server(values, shown)
        servers[scenario] = _Server(values, listener.log_mark, listener.log_since)
    return servers[scenario]


def _run_command(
    entry: Entry,
    index: int,
    cmd: Command,
    ctx: RunContext,
    box: Path,
    env: dict[str, str],
    servers: dict[str, _Server],
    display: _Display,
    stack: contextlib.ExitStack,
) -> CommandResult:
    _materialize(cmd.fixtures, ctx, box)
    _copy_snippets(cmd.snippets, ctx, box)
    server = _server_for(cmd, ctx, servers, display, stack) if cmd.scenario else None
    values = dict(server.values) if server else {}
    values.setdefault("cafile", str(box / "ca.crt"))
    mark = server.log_mark() if server else 0
    proc = sandbox.run(placeholders.for_run(cmd.run, values), box, env, stdin=cmd.stdin,
                       timeout=cmd.timeout, cancel=ctx.cancel)
    log = None
    if server:
        deadline = time.monotonic() + _LOG_SETTLE
        log = server.log_since(mark)
        while not expectations.server_log_ready(cmd.expect, log) and time.monotonic() < deadline:
            time.sleep(0.02)
            log = server.log_since(mark)
    # Expectations see what the page shows (reader's ports and paths), as authors write them.
    shown = sandbox.ProcessResult(proc.exit_code, display(proc.stdout), display(proc.stderr),
                                  display(proc.combined), proc.seconds, proc.timed_out)
    shown_log = display(log) if log is not None else None
    failures = expectations.check(cmd.expect, shown, box, shown_log)
    if failures:
        shown_tail = expectations.tail(shown.combined)
        if shown_tail:
            failures.append("output ends with:\n" + shown_tail)
        if shown_log and (cmd.expect.server_log or cmd.expect.server_log_not):
            failures.append("server log:\n" + expectations.tail(shown_log))
    matched_log = [
        ln for ln in (shown_log or "").splitlines()
        if any(re.search(p, ln) for p in cmd.expect.server_log)
    ][:MAX_LOG_LINES]
    return CommandResult(
        index=index,
        status=FAILED if failures else PASSED,
        server_log="\n".join(matched_log),
        exit_code=proc.exit_code,
        stdout=shown.stdout,
        stderr=shown.stderr,
        combined=shown.combined,
        seconds=round(proc.seconds, 3),
        timed_out=proc.timed_out,
        failures=failures,
    )
