"""The bundled reference TLS server: Python ``ssl`` on 127.0.0.1, one listener per lease.

One :class:`ReferenceServer` serves a whole build. Commands verified in parallel each
*lease* their own :class:`Listener` (a fresh socket on 127.0.0.1, port 0 by default), so the
server-log lines a command's expectations see are that command's traffic only.

Threads: one accept thread per listener, one daemon thread per connection (bounded by
``max_connections``), every connection with a socket timeout, so a silent client cannot pin
a thread and nothing blocks interpreter exit. :meth:`ReferenceServer.stop` shuts every
socket down, which wakes blocked threads, and joins them.

Each scenario's certificate, chain and TLS limits are :mod:`faqkb.tlsserver.contexts`; the
HTTP spoken over the connection is :mod:`faqkb.tlsserver.minihttp`.
"""

from __future__ import annotations

import contextlib
import json
import select
import selectors
import shutil
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, TextIO

from faqkb.tlsserver import minihttp
from faqkb.tlsserver.contexts import ScenarioContexts, alg_bits, sni_sent
from faqkb.tlsserver.scenarios import SCENARIOS

if TYPE_CHECKING:
    from faqkb.pki.authority import Pki

_LIBRARY = "OpenSSL/" + ssl.OPENSSL_VERSION.split()[1]


class Listener:
    """One leased listening socket serving one scenario; its own log.

    Attributes: ``host`` ("localhost"), ``port``, ``scenario``, ``cafile`` (the root CA a
    client should trust: the same for every scenario, so failures show what a reader's
    ``ca.crt`` would see), ``tls`` (False for a plain HTTP scenario).
    """

    host = "localhost"

    def __init__(self, server: ReferenceServer, scenario: str, sock: socket.socket,
                 cafile: Path) -> None:
        self.scenario = scenario
        self.port: int = sock.getsockname()[1]
        self.cafile = cafile
        self.tls = SCENARIOS[scenario].tls
        #: Called with each log line as it is written (``faqkb serve-tls`` prints them).
        self.on_log: Callable[[str], None] | None = None
        self._server = server
        self._sock = sock
        self._lines: list[str] = []
        self._cond = threading.Condition()
        self._busy = 0  # connections being accepted or served
        self._conns: dict[int, socket.socket] = {}
        self._threads: set[threading.Thread] = set()
        self._closed = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"faqkb-tls-accept-{self.port}", daemon=True
        )
        self._accept_thread.start()

    @property
    def address(self) -> str:
        """``localhost:PORT``."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        """``https://localhost:PORT/`` (``http://`` for a plain HTTP scenario)."""
        return f"{'https' if self.tls else 'http'}://{self.address}/"

    # -- log ---------------------------------------------------------------------------------
    def log(self, line: str) -> None:
        """Append one line to this listener's log."""
        with self._cond:
            self._lines.append(line)
        if self.on_log:
            self.on_log(line)

    def log_mark(self) -> int:
        """A position in the log; pass it to :meth:`log_since`."""
        with self._cond:
            return len(self._lines)

    def log_since(self, mark: int, wait: float = 2.0) -> str:
        """Lines logged since ``mark``, newline-terminated.

        First waits (at most ``wait`` seconds) until no connection is pending or in progress,
        so that a client that has just exited has been fully logged.
        """
        self.wait_idle(wait)
        with self._cond:
            return "".join(line + "\n" for line in self._lines[mark:])

    def wait_idle(self, timeout: float = 2.0) -> bool:
        """Wait until no connection is queued, being accepted or served; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                if self._busy == 0 and not self._pending():
                    return True
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                # No event announces a connection in the backlog, hence the short poll.
                self._cond.wait(min(left, 0.02))

    def _pending(self) -> bool:
        if self._closed:
            return False
        try:
            return bool(select.select([self._sock], [], [], 0)[0])
        except (OSError, ValueError):
            return False

    # -- life cycle --------------------------------------------------------------------------
    def close(self, join_timeout: float = 1.0) -> None:
        """Stop listening, cut every open connection, and join this listener's threads."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            for s in self._conns.values():
                # Wakes a thread blocked in recv()/do_handshake(); it then closes the socket.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(s, socket.SHUT_RDWR)
            threads = [*self._threads, self._accept_thread]
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")
        deadline = time.monotonic() + join_timeout
        for t in threads:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        for s in (self._sock, self._wake_r, self._wake_w):
            s.close()
        self._server.forget(self)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- serving -----------------------------------------------------------------------------
    def closing(self) -> bool:
        """True once :meth:`close` was called (from any thread)."""
        return self._closed

    def _accept_loop(self) -> None:
        sel = selectors.DefaultSelector()
        self._sock.setblocking(False)
        sel.register(self._sock, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        slots = self._server.slots
        try:
            while not self._closed:
                ready = [key.fileobj for key, _ in sel.select()]
                if self._wake_r in ready or self._closed:
                    break
                with self._cond:
                    self._busy += 1  # before accept(): wait_idle never sees a gap
                try:
                    conn, addr = self._sock.accept()
                except OSError:
                    self._done(None)
                    continue
                while not slots.acquire(timeout=0.1):  # bounded: wait for a free slot
                    if self.closing():  # another thread's close() sets it meanwhile
                        conn.close()
                        self._done(None)
                        return
                t = threading.Thread(target=self._serve_one, args=(conn, addr), daemon=True,
                                     name=f"faqkb-tls-{self.scenario}-{addr[1]}")
                with self._cond:
                    self._threads.add(t)
                    self._conns[id(t)] = conn
                t.start()
        finally:
            sel.close()

    def _done(self, t: threading.Thread | None) -> None:
        with self._cond:
            self._busy -= 1
            if t is not None:
                self._threads.discard(t)
                self._conns.pop(id(t), None)
            self._cond.notify_all()

    def _serve_one(self, conn: socket.socket, addr: tuple[str, int]) -> None:
        me = threading.current_thread()
        peer = f"{addr[0]}:{addr[1]}"
        try:
            conn.settimeout(self._server.timeout)
            if self.tls:
                self._serve_tls(conn, peer, me)
            else:
                self._serve_plain(conn, peer)
        except OSError as e:  # the client went away mid-answer, or close() cut the connection
            self.log(f"connection with {peer} failed: {e}")
        except Exception as e:  # a bug must not kill the server, but it must show
            self.log(f"internal error with {peer}: {type(e).__name__}: {e}")
        finally:
            with self._cond:  # unregister before closing, so close() never touches a reused fd
                s = self._conns.pop(id(me), conn)
            with contextlib.suppress(OSError):
                s.close()
            self._server.slots.release()
            self._done(me)

    def _serve_plain(self, conn: socket.socket, peer: str) -> None:
        data = minihttp.read_head(conn.recv)
        if not data:
            self.log(f"connection from {peer} closed without a request")
            return
        if not minihttp.looks_like_http(data):
            what = "a TLS handshake" if data[:1] == b"\x16" else "not HTTP"
            self.log(f"bad request from {peer}: {what} (first bytes {data[:8]!r}); answered 400")
            conn.sendall(minihttp.response(400, "Bad Request\n"))
        else:
            status, payload, line = minihttp.answer(data, self.scenario, None)
            conn.sendall(payload)
            self.log(f'{peer} "{line}" {status} {len(payload)}')
        _linger(conn)

    def _serve_tls(self, conn: socket.socket, peer: str, me: threading.Thread) -> None:
        tls = self._server.contexts.get(self.scenario).wrap_socket(
            conn, server_side=True, do_handshake_on_connect=False
        )
        with self._cond:
            self._conns[id(me)] = tls  # conn is detached now; tls owns the descriptor
            closed = self._closed
        if closed:
            return
        try:
            tls.do_handshake()
        except ssl.SSLError as e:
            if e.reason == "HTTP_REQUEST":
                self.log(f"http request from {peer}: {e}; answered 400 in plain HTTP")
                # OpenSSL sent no alert, so the socket still speaks plain TCP: answer as httpd.
                socket.socket.sendall(tls, minihttp.plain_http_to_tls_port())
                _linger(tls, raw=True)
            else:
                self.log(f"handshake failed from {peer}: {e}")
                # Let the alert reach the client: closing with its data unread would send a
                # RST that can overtake the alert (curl then only says "getpeername() failed").
                _linger(tls, raw=True)
            return
        except TimeoutError:
            self.log(f"handshake timed out from {peer}")
            return
        except OSError as e:
            self.log(f"handshake aborted from {peer}: {e}")
            return
        name, proto, bits = tls.cipher() or ("", "", 0)
        sni = sni_sent(tls)
        der = tls.getpeercert(binary_form=True)
        client = ""
        if der:
            from cryptography import x509

            client_cert = x509.load_der_x509_certificate(der)
            client = f" client={client_cert.subject.rfc4514_string()!r}"
        else:
            client_cert = None
        self.log(f"handshake ok from {peer}: {proto} {name} sni={sni or '-'}{client}")
        try:
            data = minihttp.read_head(tls.recv)
        except (OSError, ssl.SSLError) as e:
            self.log(f"read failed from {peer}: {e}")
            return
        if not data:
            self.log(f"connection from {peer} closed without a request")
            _close_notify(tls)
            return
        env = minihttp.ssl_env(
            protocol=proto, cipher=name, use_bits=bits,
            alg_bits=alg_bits(tls.context, name, bits),
            resumed=bool(tls.session_reused), session_id=(tls.session.id.hex() if tls.session else ""),
            server_cert=self._server.contexts.leaf_for(tls.context).cert, sni=sni,
            client_cert=client_cert, library=_LIBRARY,
        )
        status, payload, line = minihttp.answer(data, self.scenario, env)
        try:
            tls.sendall(payload)
        except OSError as e:
            self.log(f"write failed to {peer}: {e}")
            return
        self.log(f'{peer} {proto} {name} "{line}" {status} {len(payload)}')
        _close_notify(tls)


def _close_notify(tls: ssl.SSLSocket) -> None:
    """Send TLS close_notify (what httpd does), then wait briefly for the peer's."""
    with contextlib.suppress(OSError, ValueError):
        tls.settimeout(1.0)
        tls.unwrap()


def _linger(sock: socket.socket, raw: bool = False, limit: float = 2.0) -> None:
    """Half-close and drain until the peer closes (``limit`` seconds at most), as httpd's
    lingering close: unread bytes at close() would make the kernel send a RST that can
    destroy the answer or alert before the client reads it. ``raw`` reads past TLS."""
    recv = (lambda n: socket.socket.recv(sock, n)) if raw else sock.recv
    deadline = time.monotonic() + limit
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_WR)
        while (left := deadline - time.monotonic()) > 0:
            sock.settimeout(min(left, 1.0))
            if not recv(65536):
                break


class ReferenceServer:
    """The reference TLS server of one build: ``with ReferenceServer(pki) as srv:``.

    ``srv.lease(scenario)`` opens a :class:`Listener`; :meth:`stop` closes them all.
    """

    def __init__(self, pki: Pki, *, timeout: float = 10.0, max_connections: int = 128) -> None:
        self.pki = pki
        self.timeout = timeout
        #: One slot per connection served at once: past that, a client waits (never a thread bomb).
        self.slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()
        #: The scenarios' TLS contexts, made on first lease and shared by its listeners.
        self.contexts = ScenarioContexts(pki)
        self._stopped = False

    def lease(self, scenario: str, port: int = 0) -> Listener:
        """A fresh listener on 127.0.0.1:``port`` (0: any free port) serving ``scenario``."""
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r}; known: {sorted(SCENARIOS)}")
        if self._stopped:
            raise RuntimeError("the reference server was stopped")
        if SCENARIOS[scenario].tls:
            self.contexts.get(scenario)  # make keys and certificates before accepting anyone
        cafile = self.pki.cafile
        sock = socket.create_server(("127.0.0.1", port), backlog=128)
        listener = Listener(self, scenario, sock, cafile)
        with self._lock:
            self._listeners.add(listener)
        return listener

    def stop(self) -> None:
        """Close every listener and connection and join their threads (about 1 s at most)."""
        self._stopped = True
        with self._lock:
            listeners = list(self._listeners)
        deadline = time.monotonic() + 1.0
        for lst in listeners:
            lst.close(join_timeout=max(0.05, deadline - time.monotonic()))

    def __enter__(self) -> ReferenceServer:
        return self  # nothing to start: listeners open on lease

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def forget(self, listener: Listener) -> None:
        """A listener closed: stop tracking it."""
        with self._lock:
            self._listeners.discard(listener)


def serve(scenario: str, port: int = 0, out: TextIO = sys.stdout, workdir: Path | None = None,
          *, log: TextIO | None = None) -> None:
    """Serve one scenario until Ctrl-C or SIGTERM (``faqkb serve-tls``).

    Prints one JSON line ``{"host", "port", "cafile", "scenario"}`` to ``out`` once
    listening; each log line goes to ``log`` when given. Without ``workdir`` the PKI lives in
    a temporary folder removed at the end.
    """
    from faqkb.pki.authority import Pki

    tmp = None if workdir is not None else Path(tempfile.mkdtemp(prefix="faqkb-tls-"))
    base = workdir if workdir is not None else tmp
    assert base is not None
    stop = threading.Event()
    old = None
    if threading.current_thread() is threading.main_thread():
        old = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with ReferenceServer(Pki(base)) as srv:
            lst = srv.lease(scenario, port=port)
            if log is not None:
                lst.on_log = lambda line: print(line, file=log, flush=True)
            info = {"host": lst.host, "port": lst.port, "cafile": str(lst.cafile),
                    "scenario": scenario}
            print(json.dumps(info), file=out, flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while not stop.wait(0.5):
                    pass
    finally:
        if old is not None:
            signal.signal(signal.SIGTERM, old)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
