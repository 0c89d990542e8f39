"""Verify a knowledge base: every entry's commands, cached, in parallel.

One reference TLS server and one test PKI serve the whole run (created only if some
entry actually has to run); each entry gets its own sandbox and its own leased
listeners, so entries can run side by side without seeing each other's traffic.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import NoReturn

from faqkb._util import plural
from faqkb.model import Entry, KnowledgeBase
from faqkb.proc.sandbox import sandbox_mode
from faqkb.project import Project
from faqkb.results import CACHED, CommandResult, EntryResult
from faqkb.run.runner import RunContext, run_entry
from faqkb.snapshots import compare
from faqkb.verify.cache import PassLog, ResultCache, entry_key
from faqkb.verify.servers import SharedServers
from faqkb.verify.tools import Versions, entry_tools, label


@dataclass
class Report:
    """The outcome of one verification run."""

    results: dict[str, EntryResult] = field(default_factory=dict)
    seconds: float = 0.0
    #: Things the user should know that did not fail the run (e.g. the cache was not writable).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every command passed (now or cached)."""
        return all(er.ok for er in self.results.values())

    def acceptable(self, strict: bool) -> bool:
        """True when the run succeeds: every command passed, or was not run because a program
        it requires is missing here (``strict``: that fails too, as running unsandboxed does)."""
        return (all(er.acceptable(strict) for er in self.results.values())
                and not (strict and self.unsandboxed))

    @property
    def unsandboxed(self) -> dict[str, str]:
        """Entries whose commands ran without the sandbox, and why (strict runs fail on them)."""
        return {eid: er.unsandboxed for eid, er in self.results.items() if er.unsandboxed}


def shard_ids(ids: list[str], spec: str) -> list[str]:
    """The K-th of N interleaved shares of ``ids`` for ``K/N`` (1-based); ValueError if malformed."""
    k, sep, n = spec.partition("/")
    if not (sep and k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ValueError("write it as K/N with 1 <= K <= N, for example 2/4")
    return sorted(ids)[int(k) - 1 :: int(n)]


@dataclass
class Keys:
    """What the cache keys of some entries are made of, and the keys: one computation that
    verification and ``--changed-since`` share, so both mean the same by "changed"."""

    #: Entry id -> its cache key (:func:`faqkb.verify.cache.entry_key`).
    keys: dict[str, str]
    #: Entry id -> the tools each of its commands uses (names).
    used: dict[str, list[list[str]]]
    #: Entry id -> the versions of the tools it uses.
    versions: dict[str, dict[str, str]]
    #: Declared tools some entry uses that are not installed here.
    missing_tools: list[str]
    #: Entry id -> its key without the tool versions: runs of the same entry with other
    #: versions (make matrix) are told apart from runs of an entry that changed.
    base: dict[str, str]


def entry_keys(kb: KnowledgeBase, project: Project, entries: Iterable[Entry]) -> Keys:
    """The cache keys of ``entries`` here and now: tool versions probed (once), the sandbox
    mode and the reader's paths included."""
    entries = list(entries)
    probes = Versions(project.tools, lambda name: project.where("tools", name))
    used = {e.id: entry_tools(e, probes.specs, kb.snippets_dir) for e in entries}
    versions = probes.versions(n for per in used.values() for names in per for n in names)
    # A result made without the sandbox is not reused once the sandbox runs (and vice versa).
    mode = sandbox_mode()
    out = Keys({}, used, {},
               [n for n, v in versions.items() if not v and n in project.tools], {})
    reader = (project.reader_dir, project.reader_home)
    for e in entries:
        mine = out.versions[e.id] = {n: versions[n] for names in used[e.id] for n in names}
        out.keys[e.id] = entry_key(e, kb.snippets_dir, {**mine, "sandbox": mode}, reader=reader)
        out.base[e.id] = entry_key(e, kb.snippets_dir, {"sandbox": mode}, reader=reader)
    return out


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
    check_snapshots: bool = True,
) -> Report:
    """Verify the entries of ``kb`` (or just ``only``), reusing cached results where valid.

    ``check_snapshots=False`` is for recording them (``--update``): snapshot commands are not
    compared with what is recorded, and the results are not cached (they were not checked).
    """
    start = time.monotonic()
    wanted = list(only) if only is not None else sorted(kb.entries)
    entries = [kb.entries[i] for i in wanted if kb.entries[i].commands]
    httpd_problem = None
    if any(e.uses_httpd for e in entries):
        from faqkb.httpd.process import httpd_available  # deferred: only when an entry uses it

        httpd_problem = httpd_available()
    keys = entry_keys(kb, project, entries)
    used, entry_versions = keys.used, keys.versions
    report = Report()
    report.notes += [f"{label(n)} is not installed here (tools.{n}): commands that use it fail, "
                     "those that require it are not run" for n in keys.missing_tools]
    cache = ResultCache(project.cache_dir)
    passlog = PassLog(project.cache_dir)
    todo: list[tuple[Entry, str]] = []
    base = keys.base
    for e in entries:
        key = keys.keys[e.id]
        hit = cache.get(e.id, key) if use_cache and check_snapshots else None
        if hit is not None:
            for c in hit.commands:
                c.status = CACHED
            report.results[e.id] = hit
        else:
            todo.append((e, key))
    todo.sort(key=lambda item: _expected_cost(item[0], cache))
    if progress and report.results:
        n = len(report.results)
        progress(f"faqkb: {plural(n, 'entry', 'entries')} unchanged, results reused from the cache")
    ctx = RunContext(get_pki=_unset, lease=_unset, snippets_dir=kb.snippets_dir,
                     httpd_problem=httpd_problem, reader_dir=project.reader_dir,
                     reader_home=project.reader_home, keep_sandboxes=keep_sandboxes,
                     on_command=on_command, check=compare.check if check_snapshots else None,
                     versions={n: v for per in entry_versions.values() for n, v in per.items()})
    for er in _run_all(todo, ctx, max(1, jobs or os.cpu_count() or 1), progress):
        # Which tools each command used, with the versions they ran with: the page's marks.
        er.tools = entry_versions[er.entry]
        for c in er.commands:
            c.tools = [n for n in used[er.entry][c.index] if er.tools.get(n)]
        report.results[er.entry] = er
        if check_snapshots:
            cache.put(er)
    if check_snapshots:
        for eid, er in report.results.items():
            passlog.record(er, base[eid])
    report.results = dict(sorted(report.results.items()))
    report.seconds = time.monotonic() - start
    if cache.write_error:
        report.notes.append(f"results were not cached: {cache.write_error}; the next run verifies "
                            "them again")
    return report


def _expected_cost(entry: Entry, cache: ResultCache) -> tuple[int, float, int]:
    """Sort key: longest first, so a slow entry does not start last and leave the other
    workers idle at the end. By last run's time; entries never timed go first: those with a
    command that declares a long timeout (the author's own hint that it is slow), then
    those with the most commands."""
    seconds = cache.previous_seconds(entry.id)
    if seconds is None:
        return (0, -max(c.timeout for c in entry.commands), -len(entry.commands))
    return (1, -seconds, 0)


def _unset(*_: object) -> NoReturn:
    raise RuntimeError("set by _run_all")


def _run_all(todo: list[tuple[Entry, str]], ctx: RunContext, workers: int,
             progress: Callable[[str], None] | None) -> Iterator[EntryResult]:
    """Run ``todo`` on ``workers`` threads, yielding each entry's result as it finishes."""
    stopping: float | None = None
    try:
        with SharedServers() as shared, ThreadPoolExecutor(max_workers=workers,
                                                           thread_name_prefix="faqkb-teardown") as reaper:
            # Leaving this block waits for every teardown, so nothing outlives verify_kb.
            ctx.get_pki = lambda: shared.pki
            ctx.lease = shared.lease
            ctx.defer = lambda fn: _submit(reaper, fn)
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="faqkb-verify") as pool:
                futures = {pool.submit(run_entry, e, ctx, key): e for e, key in todo}
                try:
                    for done, fut in enumerate(as_completed(futures), 1):
                        er = fut.result()
                        yield er
                        if progress:
                            progress(_progress_line(done, len(todo), futures[fut], er))
                except BaseException:
                    # Ctrl-C: stop queued entries and kill every running command at once (each
                    # worker sees the event); the `with` blocks then wait for each entry to tear
                    # down its httpd, listeners and sandbox, side by side on the reaper threads.
                    ctx.cancel.set()
                    stopping = time.monotonic()
                    running = [futures[f].id for f in futures if not f.cancel() and not f.done()]
                    if progress and running:
                        progress(f"faqkb: stopping {plural(len(running), 'running entry', 'running entries')}"
                                 f" ({', '.join(running)}): their commands, servers and sandboxes")
                    raise
    finally:
        if stopping is not None and progress:
            progress(f"faqkb: stopped everything verification started "
                     f"({time.monotonic() - stopping:.1f} s)")


def _submit(pool: ThreadPoolExecutor, fn: Callable[[], None]) -> None:
    try:
        pool.submit(fn)
    except RuntimeError:  # the pool is shutting down (Ctrl-C): tear down here instead
        fn()


def _progress_line(done: int, total: int, entry: Entry, er: EntryResult) -> str:
    n = len(er.commands)
    bad = [c for c in er.commands if not c.ok]
    secs = sum(c.seconds for c in er.commands)
    state = "ok" if not bad else f"{len(bad)} of {n} FAILED or unverified"
    return f"faqkb: [{done}/{total}] {entry.id}: {plural(n, 'command')}, {state} ({secs:.1f} s)"
