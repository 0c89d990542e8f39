"""The reference server under a hostile mixed load (the review's Part 2).

Each round starts 500 connections at once: good clients (TLS, ``GET /``, read to EOF),
garbage, plain HTTP on the TLS port, slowloris (trickling a ClientHello or, after the
handshake, a request head, and reconnecting whenever cut: the attacker holds every slot it
can), half-open and vanishing clients. The slow and half-open clients keep at it until the
test tells them to stop, so nothing depends on how fast this machine is: the test waits
(bounded, generously) until the clients that must be served are done and every slot is held,
then sends a fresh client. Asserted per round: every good client got its 200 and plain HTTP
its 400; the fresh client was served while the attack still held the slots, because the
server cut an attacker for it (its log says so, before the fresh client's handshake), and
the attacker took the slots back; then, the attack stopped, the server's threads and
descriptors are back to their baseline. Across rounds: the memory the server's code holds
does not grow (tracemalloc, with a tolerance). Last: stopping the server in the middle of an
attack cuts every connection and leaves no thread or descriptor behind.

The server's own timeouts are set far beyond any wait of the test, so that during a round a
slot frees only when a client ends or is cut: with every slot held by attackers who never
end, a server that did not cut them could not serve the fresh client at all (it would fail
on its bound), however slow or fast the machine, and a thread gone after ``stop()`` was
woken by the stop, not by a timeout.

The server runs in the test process (so its threads, descriptors and allocations can be
counted), the 500 clients in a child process running this module (``python -m
tests.test_server_load PORT CAFILE``; a line on its stdin, or its end, stops the attack):
sharing one interpreter with 128 server threads and tracemalloc, their event loop was starved
for seconds, and a client that has not sent its ClientHello after ``evict_after`` (1 s) looks
like the half-open attacker it is cut as. For the same reason the clients that must be served
(good, plain, garbage) are blocking threads, like separate programs such as curl, which write
right after connecting; the attackers share one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import queue
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from faqkb.pki.fixtures import materialize
from faqkb.proc import spawn
from faqkb.tlsserver.server import ReferenceServer

GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
BODY = b"faqkb reference server: scenario default\n"
MIX = {"good": 200, "garbage": 40, "plain": 40, "slow-hello": 70, "slow-head": 70,
       "halfopen": 40, "vanish": 40}
#: The clients that end by themselves; the others (the attackers) keep at it until told to stop.
FINITE = ("good", "garbage", "plain", "vanish")
TRICKLE = 0.25  # seconds between two bytes of a slow client
SLOTS = 128  # the server's default max_connections
#: Every wait of the test (and of its clients) is bounded by this: generous, for a machine
#: loaded many times over; a correct server never comes near it.
BOUND = 120.0
#: The server's timeouts, far beyond BOUND: during a round only a cut frees an attacker's slot.
NEVER = 10 * BOUND
ROOT = Path(__file__).resolve().parent.parent


def _fds() -> int:
    """Sockets this process holds: the server's (the load clients run in a child process). Pipes
    and files come and go with whatever else the test process does, so they are not counted."""
    count = 0
    for n in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{n}").startswith("socket:")
        except OSError:
            pass
    return count


def _fd_names() -> list[str]:
    return sorted(os.readlink(f"/proc/self/fd/{n}") for n in os.listdir("/proc/self/fd")
                  if os.path.exists(f"/proc/self/fd/{n}"))


def _server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("faqkb-tls")]


def _client_hello(ctx: ssl.SSLContext) -> bytes:
    out = ssl.MemoryBIO()
    try:
        ctx.wrap_bio(ssl.MemoryBIO(), out, server_hostname="localhost").do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


class Attack:
    """One round's clients; ``run()`` returns what each kind ended with."""

    def __init__(self, port: int, ctx: ssl.SSLContext) -> None:
        self.port, self.ctx = port, ctx
        self.hello = _client_hello(ctx)
        self.reconnects = 0
        self.stop = asyncio.Event()  # set when the parent says so (a line on stdin, or EOF)

    def good(self) -> str:
        """A real client, blocking like curl: its ClientHello follows the connect at once."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=BOUND) as raw:
            with self.ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(GET)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        return "200 ok" if data.startswith(b"HTTP/1.1 200 ") and data.endswith(BODY) else f"bad {data[:40]!r}"

    async def _until_stop(self, work: Awaitable[Any]) -> bool:
        """Await ``work`` until it ends (True) or the parent says stop (False, ``work``
        cancelled); an error that ended ``work`` is raised."""
        task, stop = asyncio.ensure_future(work), asyncio.ensure_future(self.stop.wait())
        try:
            done, _ = await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            task.cancel()
            stop.cancel()
        if task in done:
            task.result()
            return True
        return False

    async def _trickle(self, tls: bool, cuts: list[int]) -> None:
        """Hold a slot forever: trickle a request head (``tls``) or a ClientHello, wait for the
        cut, and come back (counted in ``cuts[0]``)."""
        while True:
            w = None
            try:
                # Patient (BOUND): an attacker that gave up by itself would free its slot without
                # a cut, and the probe would not prove the server cuts.
                if tls:
                    r, w = await asyncio.open_connection("127.0.0.1", self.port, ssl=self.ctx,
                                                         server_hostname="localhost",
                                                         ssl_handshake_timeout=BOUND)
                    data = GET[:-2] + b"X-Slow: " + b"x" * 4000
                else:
                    r, w = await asyncio.open_connection("127.0.0.1", self.port)
                    data = self.hello
                for k in range(len(data)):
                    if r.at_eof() or w.transport.is_closing():
                        break
                    w.write(data[k:k + 1])
                    await w.drain()
                    await asyncio.sleep(TRICKLE)
                await r.read()  # all sent (a round is never that long): wait for the cut
            except (TimeoutError, OSError, ssl.SSLError):
                pass
            finally:
                if w is not None:
                    w.transport.abort()
            cuts[0] += 1
            self.reconnects += 1
            # Back at once when cut; more slowly when refused (the server was stopped).
            await asyncio.sleep(0.05 if w is not None else 0.5)

    async def slow(self, tls: bool) -> str:
        cuts = [0]
        await self._until_stop(self._trickle(tls, cuts))
        return "cut and came back" if cuts[0] else "held its slot"

    async def halfopen(self) -> str:
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            ended = await self._until_stop(r.read())
        except OSError:  # a RST: the cut of a socket with unread data, or the server's stop
            ended = True
        finally:
            w.transport.abort()
        return "closed by the server" if ended else "held on until told to stop"

    async def vanish(self, rst: bool) -> str:
        _, w = await asyncio.open_connection("127.0.0.1", self.port)
        w.write(self.hello)
        await w.drain()
        if rst:
            w.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            w.transport.abort()
        else:
            w.close()
        return "RST" if rst else "FIN"

    def send_and_read(self, payload: bytes) -> str:
        """Raw bytes on the TLS port (blocking), then whatever comes back until EOF."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=BOUND) as s:
            try:
                s.sendall(payload)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
            except (ConnectionResetError, TimeoutError) as e:
                return type(e).__name__
        return data[:12].decode("latin-1") or "closed"

    def client(self, kind: str, i: int, pool: ThreadPoolExecutor) -> asyncio.Future[str]:
        blocking: dict[str, Callable[[], str]] = {
            "good": self.good, "plain": lambda: self.send_and_read(GET),
            "garbage": lambda: self.send_and_read(os.urandom(random.randint(1, 4096)))}
        if kind in blocking:  # clients that must be served: threads, as separate programs would
            return asyncio.ensure_future(asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(pool, blocking[kind]), BOUND))
        coro = {"slow-hello": lambda: self.slow(False), "slow-head": lambda: self.slow(True),
                "halfopen": self.halfopen, "vanish": lambda: self.vanish(i % 2 == 1)}[kind]()
        return asyncio.ensure_future(coro)

    async def run(self) -> Counter[tuple[str, str]]:
        """Start every client; print "go", then "done" once the finite clients have ended;
        return once the parent said stop and the attackers have let go."""
        loop = asyncio.get_running_loop()
        # A line, or EOF (the parent is gone), stops the attack. A daemon thread, not the
        # loop's executor, so that nothing waits on a read the parent may never answer.
        threading.Thread(target=lambda: (sys.stdin.readline(), loop.call_soon_threadsafe(self.stop.set)),
                         daemon=True).start()
        kinds = random.sample([k for k, n in MIX.items() for _ in range(n)], sum(MIX.values()))
        with ThreadPoolExecutor(MIX["good"] + MIX["plain"] + MIX["garbage"]) as pool:
            tasks = [self.client(k, i, pool) for i, k in enumerate(kinds)]
            print("go", flush=True)
            await asyncio.gather(*(t for k, t in zip(kinds, tasks, strict=True) if k in FINITE),
                                 return_exceptions=True)
            print("done", flush=True)
            results = await asyncio.gather(*tasks, return_exceptions=True)
        out: Counter[tuple[str, str]] = Counter()
        for k, res in zip(kinds, results, strict=True):
            out[(k, res if isinstance(res, str) else f"{type(res).__name__}: {res}"[:60])] += 1
        return out


class _Child:
    """The attack in a child process (see the module docstring): ``expect()`` its next line,
    ``stop()`` it for its results. Its stdout goes through a queue, so every wait is bounded."""

    def __init__(self, port: int, cafile: Path) -> None:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "PYTHONDONTWRITEBYTECODE": "1"}
        self.proc = spawn.popen([sys.executable, "-m", "tests.test_server_load", str(port), str(cafile)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                env=env, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put("")  # EOF

    def expect(self, line: str) -> None:
        got = self.lines.get(timeout=BOUND)
        assert got == line + "\n", (got, self.proc.poll())

    def attacking(self) -> bool:
        """True while the child runs, not yet told to stop."""
        return self.proc.poll() is None and self.proc.stdin is not None and not self.proc.stdin.closed

    def stop(self) -> tuple[Counter[tuple[str, str]], int]:
        """End the attack: what each kind of client ended with, and the slow clients' reconnects."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("stop\n")
        self.proc.stdin.close()
        out = self.lines.get(timeout=BOUND)
        assert self.proc.wait(BOUND) == 0, (self.proc.returncode, out)
        got = json.loads(out)
        return Counter({(k, what): n for k, what, n in got["ends"]}), got["reconnects"]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(BOUND)
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()


def _wait_until(what: str, cond: Callable[[], bool]) -> None:
    """Poll ``cond`` until it holds; fail saying ``what`` did not happen within BOUND."""
    deadline = time.monotonic() + BOUND
    while not cond():
        assert time.monotonic() < deadline, f"{what} (not within {BOUND:g} s)"
        time.sleep(0.02)


def _probe(port: int, ctx: ssl.SSLContext) -> int:
    """A fresh, ordinary client (blocking, like curl) must get its 200; returns its port."""
    with socket.create_connection(("127.0.0.1", port), timeout=BOUND) as raw:
        me = raw.getsockname()[1]
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(GET)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200 ") and data.endswith(BODY), data[:60]
    return int(me)


@pytest.fixture(scope="module")
def cafile(pki, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("client")
    materialize(["ca"], d, pki)
    return d / "ca.crt"


def _settle(baseline_fds: int, threads: int) -> tuple[int, int]:
    """Descriptors and server threads once they are back to the baseline (or BOUND s)."""
    deadline = time.monotonic() + BOUND
    while True:
        now = (_fds(), len(_server_threads()))
        if now == (baseline_fds, threads) or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def _server_traced() -> int:
    """Bytes the server's code holds (allocated in faqkb/tlsserver and still alive)."""
    gc.collect()
    snap = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(True, "*faqkb/tlsserver/*")])
    return sum(s.size for s in snap.statistics("filename"))


def test_hostile_mixed_load(pki, cafile):
    ctx = ssl.create_default_context(cafile=str(cafile))
    fds0 = _fds()
    # The default slots and eviction; the log kept short so it is full after the first round.
    srv = ReferenceServer(pki, timeout=NEVER, head_timeout=NEVER, log_lines=256)
    try:
        lst = srv.lease("default")
        _probe(lst.port, ctx)  # one request: the accept loop has its selector
        assert lst.wait_idle(BOUND)
        fds1, threads1 = _fds(), len(_server_threads())  # the listener's sockets, its thread

        def full() -> bool:
            return len(_server_threads()) - threads1 >= SLOTS  # a connection thread per slot

        traced = []
        for rnd in range(3):
            if rnd == 1:
                tracemalloc.start()  # after a warm-up round: contexts made, the log ring full
            mark = lst.log_mark()
            child = _Child(lst.port, cafile)
            seen: list[str] = []
            try:
                child.expect("go")
                child.expect("done")  # the finite clients ended: only attackers ask for slots now
                _wait_until("the attack never filled the slots", full)
                lst.on_log = seen.append  # every line from here (the ring may drop them)
                me = _probe(lst.port, ctx)
                attacking = child.attacking()
                lst.on_log = None
                _wait_until("the attacker did not take the slots back", full)
                assert child.attacking()
                out, reconnects = child.stop()
            finally:
                lst.on_log = None
                child.kill()
            report = "\n".join(f"{n:4} {k:10} {what}" for (k, what), n in sorted(out.items()))
            report += f"\nslow reconnects {reconnects}"
            print(f"round {rnd + 1}:\n{report}")
            assert out[("good", "200 ok")] == MIX["good"], report
            assert out[("plain", "HTTP/1.1 400")] == MIX["plain"], report
            # The probe was served while the attack went on, and only because the server cut an
            # attacker for it: no attacker ends by itself, and every slot was held.
            assert attacking, report
            served = [i for i, line in enumerate(seen) if line.startswith(f"127.0.0.1:{me} ")
                      and '"GET / HTTP/1.1" 200' in line]
            hello = [i for i, line in enumerate(seen) if line.startswith(f"handshake ok from 127.0.0.1:{me}:")]
            cuts = [i for i, line in enumerate(seen) if line.startswith("cut ")
                    and f"all {SLOTS} slots busy and a new client waiting" in line]
            assert served and hello and cuts and cuts[0] < hello[0], "\n".join(seen[-50:])
            assert lst.wait_idle(BOUND), report
            assert _settle(fds1, threads1) == (fds1, threads1), (report, _fd_names())
            log = lst.log_since(mark)
            assert "internal error" not in log and "slots busy" in log, log[-3000:]
            if rnd:
                traced.append(_server_traced())
        tracemalloc.stop()
        print("server-held bytes after rounds 2 and 3:", traced)
        assert traced[1] - traced[0] < 64 * 1024, traced  # a leak of 100+ bytes per connection shows

        # Stop in the middle of an attack, every slot held: everything cut, every thread joined.
        # The server's timeouts are beyond the bound, so a thread gone was woken by the stop.
        child = _Child(lst.port, cafile)
        try:
            child.expect("go")
            child.expect("done")
            _wait_until("the attack never filled the slots", full)
            t0 = time.monotonic()
            srv.stop()
            _wait_until("a server thread outlived stop()", lambda: not _server_threads())
            print(f"stop() in the middle of an attack: no thread left after {time.monotonic() - t0:.2f} s")
            assert child.attacking()  # the attack went on all along: the stop cut it
            child.stop()
        finally:
            child.kill()
        assert _server_threads() == []
        assert _settle(fds0, 0) == (fds0, 0), _fd_names()
    finally:
        tracemalloc.stop()
        srv.stop()


def _client_main(port: int, cafile: str) -> None:
    """The child process: one round of clients (see :meth:`Attack.run`), then the results as JSON."""
    random.seed(8)
    attack = Attack(port, ssl.create_default_context(cafile=cafile))
    ends = asyncio.run(attack.run())
    print(json.dumps({"ends": [[k, what, n] for (k, what), n in ends.items()],
                      "reconnects": attack.reconnects}), flush=True)


if __name__ == "__main__":
    _client_main(int(sys.argv[1]), sys.argv[2])
