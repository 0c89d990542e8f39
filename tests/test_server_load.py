"""The reference server under a hostile mixed load (the review's Part 2).

Each round starts 500 connections at once: good clients (TLS, ``GET /``, read to EOF),
garbage, plain HTTP on the TLS port, slowloris (trickling a ClientHello or, after the
handshake, a request head, and reconnecting whenever cut: the attacker holds every slot it
can), half-open and vanishing clients. Every client has its own deadline and the slow ones
stop by themselves, so a round is bounded (about 6 s). Asserted per round: every good client
got its 200, a fresh client was served while the attack held the slots, and the server's
threads and descriptors are back to their baseline. Across rounds: the memory the server's
code holds does not grow (tracemalloc, with a tolerance). Last: stopping the server in the
middle of an attack takes under 2 s and leaves nothing behind.

The server runs in the test process (so its threads, descriptors and allocations can be
counted), the 500 clients in a child process running this module (``python -m
tests.test_server_load PORT CAFILE``): sharing one interpreter with 128 server threads and
tracemalloc, their event loop was starved for seconds, and a client that has not sent its
ClientHello after 2 s looks like the half-open attacker it is cut as. For the same reason the
clients that must be served (good, plain, garbage) are blocking threads, like separate
programs such as curl, which write right after connecting; the attackers share one event loop.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from faqkb.pki.fixtures import materialize
from faqkb.tlsserver.server import ReferenceServer

GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
BODY = b"faqkb reference server: scenario default\n"
MIX = {"good": 200, "garbage": 40, "plain": 40, "slow-hello": 70, "slow-head": 70,
       "halfopen": 40, "vanish": 40}
SLOW_FOR = 5.0  # seconds each slow client keeps at it (reconnecting when cut)
TRICKLE = 0.25  # seconds between two bytes of a slow client
PROBE_AT = 1.0  # when the fresh client comes (once every slot is held, see the test)
SLOTS = 128  # the server's default max_connections
# "Promptly": well before the attack ends by itself (SLOW_FOR - PROBE_AT = 4 s), which is when
# a server that does not cut slow clients would serve it.
PROBE_WITHIN = 3.5


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

    def __init__(self, port: int, ctx: ssl.SSLContext, cafile: Path) -> None:
        self.port, self.ctx, self.cafile = port, ctx, cafile
        self.hello = _client_hello(ctx)
        self.reconnects = 0

    def good(self) -> str:
        """A real client, blocking like curl: its ClientHello follows the connect at once."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as raw:
            with self.ctx.wrap_socket(raw, server_hostname="localhost") as s:
                s.sendall(GET)
                data = b""
                while chunk := s.recv(65536):
                    data += chunk
        return "200 ok" if data.startswith(b"HTTP/1.1 200 ") and data.endswith(BODY) else f"bad {data[:40]!r}"

    async def slow(self, tls: bool) -> str:
        """Trickle a request head (``tls``) or a ClientHello; reconnect when cut."""
        until = time.monotonic() + SLOW_FOR
        cuts = 0
        while time.monotonic() < until:
            w = None
            try:
                if tls:
                    r, w = await asyncio.open_connection("127.0.0.1", self.port, ssl=self.ctx,
                                                         server_hostname="localhost",
                                                         ssl_handshake_timeout=10)
                    data = GET[:-2] + b"X-Slow: " + b"x" * 4000
                else:
                    r, w = await asyncio.open_connection("127.0.0.1", self.port)
                    data = self.hello
                for k in range(len(data)):
                    if time.monotonic() >= until or r.at_eof() or w.transport.is_closing():
                        break
                    w.write(data[k:k + 1])
                    await w.drain()
                    await asyncio.sleep(TRICKLE)
            except (TimeoutError, OSError, ssl.SSLError):
                pass
            finally:
                if w is not None:
                    w.transport.abort()
            if time.monotonic() < until:
                cuts += 1
                self.reconnects += 1
                await asyncio.sleep(0.05)
        return "cut and came back" if cuts else "held its slot"

    async def halfopen(self) -> str:
        r, w = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            await asyncio.wait_for(r.read(), SLOW_FOR)
            return "closed by the server"
        except TimeoutError:
            return "gave up"
        finally:
            w.transport.abort()

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
        with socket.create_connection(("127.0.0.1", self.port), timeout=15) as s:
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
                asyncio.get_running_loop().run_in_executor(pool, blocking[kind]), 40))
        coro = {"slow-hello": lambda: self.slow(False), "slow-head": lambda: self.slow(True),
                "halfopen": self.halfopen, "vanish": lambda: self.vanish(i % 2 == 1)}[kind]()
        return asyncio.ensure_future(asyncio.wait_for(coro, 40))

    async def run(self) -> Counter[tuple[str, str]]:
        kinds = random.sample([k for k, n in MIX.items() for _ in range(n)], sum(MIX.values()))
        with ThreadPoolExecutor(MIX["good"] + MIX["plain"] + MIX["garbage"]) as pool:
            tasks = [self.client(k, i, pool) for i, k in enumerate(kinds)]
            print("go", flush=True)  # the clients are connecting: the parent times its probe from here
            results = await asyncio.gather(*tasks, return_exceptions=True)
        out: Counter[tuple[str, str]] = Counter()
        for k, res in zip(kinds, results, strict=True):
            out[(k, res if isinstance(res, str) else f"{type(res).__name__}: {res}"[:60])] += 1
        return out


def _probe(port: int, ctx: ssl.SSLContext) -> float:
    """A fresh, ordinary client (blocking, like curl): seconds until its answer was read."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            s.sendall(GET)
            data = b""
            while chunk := s.recv(65536):
                data += chunk
    assert data.startswith(b"HTTP/1.1 200 "), data[:60]
    return time.monotonic() - t0


def _attack(port: int, cafile: Path, *, at: float, then: Callable[[], float]) -> tuple[
        Counter[tuple[str, str]], int, float]:
    """One round from the child process; ``then()`` runs ``at`` s after its clients started.
    Returns what each kind of client ended with, the slow clients' reconnects, and then()."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.test_server_load", str(port), str(cafile)],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "go\n"
        time.sleep(at)
        value = then()
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0, proc.returncode
    got = json.loads(out)
    return Counter({(k, what): n for k, what, n in got["ends"]}), got["reconnects"], value


@pytest.fixture(scope="module")
def cafile(pki, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("client")
    materialize(["ca"], d, pki)
    return d / "ca.crt"


def _settle(baseline_fds: int, threads: int, wait: float = 5.0) -> tuple[int, int]:
    """Descriptors and server threads once they are back to the baseline (or ``wait`` s)."""
    deadline = time.monotonic() + wait
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
    # The default timeouts and slots; the log kept short so it is full after the first round.
    srv = ReferenceServer(pki, log_lines=256)
    try:
        lst = srv.lease("default")
        _probe(lst.port, ctx)  # one request: the accept loop has its selector
        assert lst.wait_idle(5)
        fds1, threads1 = _fds(), len(_server_threads())  # the listener's sockets, its thread
        traced = []
        for rnd in range(3):
            if rnd == 1:
                tracemalloc.start()  # after a warm-up round: contexts made, the log ring full
            mark = lst.log_mark()
            def probe_when_full() -> float:
                """The probe, once every slot is held (a connection thread each)."""
                deadline = time.monotonic() + 3
                while len(_server_threads()) - threads1 < SLOTS and time.monotonic() < deadline:
                    time.sleep(0.01)
                assert len(_server_threads()) - threads1 >= SLOTS, "the attack never filled the slots"
                return _probe(lst.port, ctx)

            out, reconnects, probe = _attack(lst.port, cafile, at=PROBE_AT, then=probe_when_full)
            report = "\n".join(f"{n:4} {k:10} {what}" for (k, what), n in sorted(out.items()))
            report += f"\nslow reconnects {reconnects}, probe {probe:.2f} s"
            print(f"round {rnd + 1}:\n{report}")
            assert out[("good", "200 ok")] == MIX["good"], report
            assert out[("plain", "HTTP/1.1 400")] == MIX["plain"], report
            assert probe < PROBE_WITHIN, report
            assert lst.wait_idle(10), report
            assert _settle(fds1, threads1) == (fds1, threads1), (report, _fd_names())
            log = lst.log_since(mark)
            assert "internal error" not in log and "slots busy" in log, log[-3000:]
            if rnd:
                traced.append(_server_traced())
        tracemalloc.stop()
        print("server-held bytes after rounds 2 and 3:", traced)
        assert traced[1] - traced[0] < 64 * 1024, traced  # a leak of 100+ bytes per connection shows

        # Stop in the middle of an attack: everything cut, every thread joined, quickly.
        def stop() -> float:
            t0 = time.monotonic()
            srv.stop()
            while _server_threads() and time.monotonic() - t0 < 5:
                time.sleep(0.01)
            return time.monotonic() - t0

        _, _, seconds = _attack(lst.port, cafile, at=1.5, then=stop)
        assert seconds < 5.0, seconds  # measured well under 2 s; a bound, not a benchmark
        assert _server_threads() == []
        assert _settle(fds0, 0) == (fds0, 0)
    finally:
        tracemalloc.stop()
        srv.stop()


def _client_main(port: int, cafile: str) -> None:
    """The child process: one round of clients; prints "go", then the results as JSON."""
    random.seed(8)
    attack = Attack(port, ssl.create_default_context(cafile=cafile), Path(cafile))
    ends = asyncio.run(attack.run())
    print(json.dumps({"ends": [[k, what, n] for (k, what), n in ends.items()],
                      "reconnects": attack.reconnects}), flush=True)


if __name__ == "__main__":
    _client_main(int(sys.argv[1]), sys.argv[2])
