"""Benchmark the reference TLS server against `openssl s_server -www`; prints ratios measured in this one run.

Both servers run as their own process on 127.0.0.1 with the same key and chain: the
`default` scenario's certificate and key, taken from the PKI of the `faqkb serve-tls` under
test. The same client (Python threads, TLS 1.3, a fresh connection each time, no session
resumption) measures both:

1. handshakes/s: TCP connect + TLS handshake + close;
2. requests/s: the same plus `GET /` and reading the answer to EOF.

Each is measured with CLIENTS threads for about SECONDS seconds, ROUNDS times with the two
servers interleaved; the best round of each side is compared (on a shared machine other
work only ever adds time). Target: faqkb / s_server >= 0.5 for both, with 1 and with 4
clients (s_server is single-threaded C, the reference server a Python thread per
connection, so the ratio depends on the client count).

Run with `make bench` (or `.venv/bin/python bench/server.py`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECONDS = 3.0
ROUNDS = 3
CLIENTS = (1, 4)
TARGET = 0.5
GET = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], limit: float = 20.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bench: server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench: nothing listens on 127.0.0.1:{port}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def load(port: int, ctx: ssl.SSLContext, request: bool, clients: int, seconds: float) -> tuple[float, int]:
    """Connections per second over ``clients`` threads for ``seconds`` s, and the error count."""
    stop_at = time.monotonic() + seconds
    done = [0] * clients
    errors = [0] * clients

    def worker(i: int) -> None:
        while time.monotonic() < stop_at:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                        if request:
                            s.sendall(GET)
                            first = s.recv(65536)
                            while s.recv(65536):
                                pass
                            if not first.startswith(b"HTTP/1."):
                                raise RuntimeError(first[:40])
                done[i] += 1
            except (OSError, RuntimeError):
                errors[i] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 30)
    return sum(done) / (time.monotonic() - t0), sum(errors)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="faqkb-bench-server-") as tmp:
        work = Path(tmp)
        ours_port, theirs_port = _free_port(), _free_port()
        log = (work / "serve.log").open("wb")
        ours = subprocess.Popen([sys.executable, "-m", "faqkb", "serve-tls", "--scenario", "default",
                                 "--port", str(ours_port)], stdout=subprocess.PIPE, stderr=log, cwd=REPO)
        theirs = None
        try:
            assert ours.stdout is not None
            info = json.loads(ours.stdout.readline())
            pki = Path(info["cafile"]).parent
            # The default scenario's files as the reference server loads them: leaf + intermediate.
            chain = (pki / "tlsserver" / "server-chain.crt").read_text()
            end = "-----END CERTIFICATE-----\n"
            leaf, inter = chain.split(end, 1)
            (work / "leaf.crt").write_text(leaf + end)
            (work / "inter.crt").write_text(inter)
            shutil.copy(pki / "tlsserver" / "server-chain.key", work / "leaf.key")
            shutil.copy(info["cafile"], work / "ca.crt")
            theirs = subprocess.Popen(
                ["openssl", "s_server", "-quiet", "-accept", f"127.0.0.1:{theirs_port}", "-cert",
                 str(work / "leaf.crt"), "-key", str(work / "leaf.key"), "-cert_chain",
                 str(work / "inter.crt"), "-www"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_listening(ours_port, ours)
            _wait_listening(theirs_port, theirs)
            ctx = ssl.create_default_context(cafile=str(work / "ca.crt"))
            ok = True
            for request in (False, True):
                what = "full requests/s (GET / to EOF)" if request else "handshakes/s"
                for clients in CLIENTS:
                    best = {"faqkb": 0.0, "s_server": 0.0}
                    errs = 0
                    for _ in range(ROUNDS):
                        for name, port in (("faqkb", ours_port), ("s_server", theirs_port)):
                            rate, e = load(port, ctx, request, clients, SECONDS)
                            best[name] = max(best[name], rate)
                            errs += e
                    ratio = best["faqkb"] / best["s_server"] if best["s_server"] else 0.0
                    ok &= ratio >= TARGET
                    note = f" (target >= {TARGET})" + (f"; {errs} errors" if errs else "")
                    print(f"{what}, {clients} client{'s' if clients > 1 else ''}: faqkb {best['faqkb']:.0f}, "
                          f"s_server -www {best['s_server']:.0f}; ratio {ratio:.2f}{note}")
        finally:
            if theirs is not None:
                _stop(theirs)
            _stop(ours)
            if ours.stdout is not None:
                ours.stdout.close()
            log.close()
    print("bench: " + ("within targets" if ok else "OUTSIDE TARGETS"))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    sys.exit(main())
