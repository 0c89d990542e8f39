"""Verify a knowledge base: every entry's commands, cached, in parallel.

One reference TLS server and one test PKI serve the whole run (created only if some
entry actually has to run); each entry gets its own sandbox and its own leased
listeners, so entries can run side by side without seeing each other's traffic.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faqkb.model import Entry, KnowledgeBase
from faqkb.project import Project
from faqkb.results import CACHED, FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult
from faqkb.run.runner import HTTPD, RunContext, run_entry
from faqkb.verify import tools as toolinfo
from faqkb.verify.cache import ResultCache, entry_key


@dataclass
class Report:
    """The outcome of one verification run."""

    results: dict[str, EntryResult] = field(default_factory=dict)
    seconds: float = 0.0

    def records(self) -> list[dict[str, Any]]:
        """One record per command: entry, index, status, seconds (for ``--json``)."""
        return [
            {"entry": er.entry, "index": c.index, "status": c.status, "seconds": c.seconds,
             **({"failures": c.failures} if c.failures else {}),
             **({"reason": c.reason} if c.reason else {})}
            for er in self.results.values()
            for c in er.commands
        ]

    def totals(self) -> dict[str, Any]:
        """Counts per status, entries, and wall-clock seconds."""
        counts = {s: 0 for s in (PASSED, CACHED, FAILED, UNVERIFIED)}
        for er in self.results.values():
            for c in er.commands:
                counts[c.status] += 1
        return {**counts, "commands": sum(counts.values()), "entries": len(self.results),
                "seconds": round(self.seconds, 3)}

    @property
    def ok(self) -> bool:
        """True when every command passed (now or cached)."""
        return all(er.ok for er in self.results.values())


def shard_ids(ids: list[str], spec: str) -> list[str]:
    """The K-th of N interleaved shares of ``ids`` for ``K/N`` (1-based); ValueError if malformed."""
    k, sep, n = spec.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ValueError("write it as K/N with 1 <= K <= N, for example 2/4")
    return sorted(ids)[int(k) - 1 :: int(n)]


def tool_versions(need_httpd: bool) -> dict[str, str]:
    """Versions that go into cache keys and the "verified with" mark."""
    tools = {"openssl": toolinfo.openssl_version(), "curl": toolinfo.curl_version()}
    if need_httpd:
        from faqkb.httpd.process import httpd_version

        tools["httpd"] = httpd_version()
    return tools


def _uses_httpd(entry: Entry) -> bool:
    return entry.httpd is not None and any(c.scenario == HTTPD for c in entry.commands)


def _tools_for(entry: Entry, tools: dict[str, str]) -> dict[str, str]:
    return tools if _uses_httpd(entry) else {k: v for k, v in tools.items() if k != "httpd"}


class _LazyRun(contextlib.AbstractContextManager["_LazyRun"]):
    """Creates the PKI and reference server on first use, and tears them down at the end."""

    def __init__(self) -> None:
        self._workdir: Path | None = None
        self._pki: Any = None
        self._server: Any = None
        self._lock = threading.Lock()

    @property
    def pki(self) -> Any:
        with self._lock:
            if self._pki is None:
                from faqkb.pki.authority import Pki

                self._workdir = Path(tempfile.mkdtemp(prefix="faqkb-run-"))
                self._pki = Pki(self._workdir)
            return self._pki

    def lease(self, scenario: str) -> Any:
        pki = self.pki
        with self._lock:
            if self._server is None:
                from faqkb.tlsserver.server import ReferenceServer

                self._server = ReferenceServer(pki)
                self._server.start()
            server = self._server
        return server.lease(scenario)

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)


def verify_kb(
    kb: KnowledgeBase,
    project: Project,
    *,
    jobs: int | None = None,
    only: Iterable[str] | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    on_command: Callable[[Entry, int, CommandResult], None] | None = None,
    keep_sandboxes: bool = False,
) -> Report:
    """Verify the entries of ``kb`` (or just ``only``), reusing cached results where valid."""
    start = time.monotonic()
    wanted = list(only) if only is not None else sorted(kb.entries)
    entries = [kb.entries[i] for i in wanted if kb.entries[i].commands]
    need_httpd = any(_uses_httpd(e) for e in entries)
    httpd_problem = None
    if need_httpd:
        from faqkb.httpd.process import httpd_available

        httpd_problem = httpd_available()
    tools = tool_versions(need_httpd and httpd_problem is None)
    cache = ResultCache(project.cache_dir)
    report = Report()
    todo: list[tuple[Entry, str]] = []
    for e in entries:
        key = entry_key(e, kb.snippets_dir, _tools_for(e, tools))
        hit = cache.get(e.id, key) if use_cache else None
        if hit is not None:
            for c in hit.commands:
                c.status = CACHED
            report.results[e.id] = hit
        else:
            todo.append((e, key))
    # Longest first, so a slow entry does not start last and leave the other workers idle
    # at the end: by last run's time. Entries never timed go first: those with a command
    # that declares a long timeout (the author's own hint that it is slow), then those
    # with the most commands.
    def expected(item: tuple[Entry, str]) -> tuple[int, float, int]:
        entry = item[0]
        seconds = cache.previous_seconds(entry.id)
        if seconds is None:
            return (0, -max(c.timeout for c in entry.commands), -len(entry.commands))
        return (1, -seconds, 0)

    todo.sort(key=expected)
    if progress and report.results:
        progress(f"faqkb: {len(report.results)} entries unchanged, results reused from the cache")
    workers = max(1, jobs or os.cpu_count() or 1)
    with _LazyRun() as lazy, ThreadPoolExecutor(max_workers=workers,
                                                thread_name_prefix="faqkb-teardown") as reaper:
        # Leaving this block waits for every teardown, so nothing outlives verify_kb.
        ctx = RunContext(get_pki=lambda: lazy.pki, lease=lazy.lease, snippets_dir=kb.snippets_dir,
                         tools=tools, httpd_problem=httpd_problem, keep_sandboxes=keep_sandboxes,
                         on_command=on_command, defer=lambda fn: _submit(reaper, fn))
        done = 0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faqkb-verify") as pool:
            futures = {pool.submit(run_entry, e, ctx, key): e for e, key in todo}
            try:
                for fut in as_completed(futures):
                    er = fut.result()
                    done += 1
                    report.results[er.entry] = er
                    cache.put(er)
                    if progress:
                        progress(_progress_line(done, len(todo), futures[fut], er))
            except BaseException:
                # Ctrl-C: stop queued entries, kill running commands; the `with` blocks then
                # wait for each entry to tear down its httpd, listeners and sandbox.
                ctx.cancel.set()
                for f in futures:
                    f.cancel()
                raise
    report.results = dict(sorted(report.results.items()))
    report.seconds = time.monotonic() - start
    return report


def _submit(pool: ThreadPoolExecutor, fn: Callable[[], None]) -> None:
    try:
        pool.submit(fn)
    except RuntimeError:  # the pool is shutting down (Ctrl-C): tear down here instead
        fn()


def _progress_line(done: int, total: int, entry: Entry, er: EntryResult) -> str:
    n = len(er.commands)
    bad = [c for c in er.commands if not c.ok]
    secs = sum(c.seconds for c in er.commands)
    state = "ok" if not bad else f"{len(bad)} of {n} commands FAILED or unverified"
    return f"faqkb: [{done}/{total}] {entry.id}: {n} commands, {state} ({secs:.1f} s)"
