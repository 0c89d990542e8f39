"""The bundled reference TLS server: Python ``ssl`` on 127.0.0.1, one listener per lease.

One :class:`ReferenceServer` serves a whole build. Commands verified in parallel each
*lease* their own :class:`Listener` (a fresh socket on 127.0.0.1, port 0 by default), so the
server-log lines a command's expectations see are that command's traffic only.

Threads: one accept thread per listener, one daemon thread per connection (bounded by
``max_connections`` slots shared by the whole server), so nothing blocks interpreter exit.
:meth:`ReferenceServer.stop` shuts every socket down, which wakes blocked threads, and joins
them.

Slow and silent clients cannot hold the server (slowloris). Each phase a client drives has a
bound: the handshake a total of ``timeout`` (Python's handshake deadline), the request head a
total of ``head_timeout`` from the end of the handshake (httpd's ``RequestReadTimeout
header=20``), and every read ``timeout`` of silence. Bounds alone still let 128 slow clients
lock everyone else out for up to ``head_timeout``, so when every slot is taken, a new client
cuts a connection that has waited at least ``evict_after`` seconds on its client (in the
handshake, the request head or the final close_notify), the longest wait first, never one
with bytes already waiting to be read, and one finishing its handshake or not yet at its
first request byte only after ``FINISHING_GRACE`` times as long
(:meth:`ReferenceServer.make_room`): a real client on loopback needs milliseconds for those
phases, an attacker needs them to last. That keeps a fresh client's wait near
``evict_after`` however many slots the attacker holds, and a connection being answered is
never cut.

Each scenario's certificate, chain and TLS limits are :mod:`faqkb.tlsserver.contexts`; the
HTTP spoken over the connection is :mod:`faqkb.tlsserver.minihttp`.
"""

from __future__ import annotations

import contextlib
import errno
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
from collections import deque
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from faqkb.tlsserver import minihttp
from faqkb.tlsserver.contexts import ScenarioContexts, alg_bits, hello_received, sni_sent
from faqkb.tlsserver.scenarios import SCENARIOS

if TYPE_CHECKING:
    from faqkb.pki.authority import Pki

_LIBRARY = "OpenSSL/" + ssl.OPENSSL_VERSION.split()[1]
#: Listen backlog: a burst of a few hundred connects must not overflow the accept queue, or
#: clients wait for the kernel's 1 s SYN retry (128 did, with 500 clients at once).
LISTEN_BACKLOG = 1024
#: accept() errors that mean "no descriptor or memory now": the connection stays queued, so
#: retrying at once would spin; back off instead.
_ACCEPT_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
_ACCEPT_BACKOFF_MAX = 1.0
#: A client that sent its whole ClientHello and is finishing the handshake, or is through it
#: and has not sent a byte of request yet, is cut only after this many ``evict_after``: under
#: a deep accept queue every new client asks for a cut, and at 1x such clients were cut too.
FINISHING_GRACE = 4


class _Conn:
    """One accepted connection: its socket (the TLS socket once wrapped) and what it waits on.

    ``phase`` is set while the connection waits on its client (and may be cut to free a
    slot, see :meth:`ReferenceServer.make_room`); ``since`` is when that wait began.
    """

    __slots__ = ("cut", "got", "listener", "peer", "phase", "since", "sock")

    def __init__(self, listener: Listener, sock: socket.socket, peer: str) -> None:
        self.listener = listener
        self.sock = sock
        self.peer = peer
        self.phase = ""
        self.since = 0.0
        self.got = 0  # bytes of the request head read so far
        self.cut = False


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
        # The log is a ring: a long-running `faqkb serve-tls` must not grow with its traffic.
        # Marks count every line ever logged, so they stay valid as old lines drop out.
        self._lines: deque[str] = deque(maxlen=server.log_lines)
        self._logged = 0  # lines ever logged: the mark of the next line
        self._cond = threading.Condition()
        self._busy = 0  # connections being accepted or served
        self._conns: dict[int, _Conn] = {}
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
        """Append one line to this listener's log (the oldest drop out past ``log_lines``)."""
        with self._cond:
            self._lines.append(line)
            self._logged += 1
        if self.on_log:
            self.on_log(line)

    def log_mark(self) -> int:
        """A position in the log; pass it to :meth:`log_since`."""
        with self._cond:
            return self._logged

    def log_since(self, mark: int, wait: float = 2.0) -> str:
        """Lines logged since ``mark``, newline-terminated (those still kept: the last
        ``log_lines``, far more than one command's traffic).

        First waits (at most ``wait`` seconds) until no connection is pending or in progress,
        so that a client that has just exited has been fully logged.
        """
        self.wait_idle(wait)
        with self._cond:
            first = self._logged - len(self._lines)  # the mark of the oldest line kept
            kept = list(self._lines)[max(0, mark - first):]
        return "".join(line + "\n" for line in kept)

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
            for c in self._conns.values():
                # Wakes a thread blocked in recv()/do_handshake(); it then closes the socket.
                with contextlib.suppress(OSError):
                    socket.socket.shutdown(c.sock, socket.SHUT_RDWR)
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
        backoff = 0.0  # > 0 while accept() finds no descriptor: the wait before retrying
        try:
            while not self._closed:
                ready = [key.fileobj for key, _ in sel.select()]
                if self._wake_r in ready or self._closed:
                    break
                with self._cond:
                    self._busy += 1  # before accept(): wait_idle never sees a gap
                try:
                    conn, addr = self._sock.accept()
                except OSError as e:
                    self._done(None)
                    if e.errno not in _ACCEPT_EXHAUSTED:
                        continue  # that client is gone (ECONNABORTED...): nothing to retry
                    # The connection stays queued, so the listener stays readable: retrying
                    # at once is a busy loop. Wait (close() still wakes us), longer each time.
                    if not backoff:
                        self.log(f"accept failed: {e}; backing off until descriptors free up")
                    backoff = min(_ACCEPT_BACKOFF_MAX, backoff * 2 or 0.05)
                    select.select([self._wake_r], [], [], backoff)
                    continue
                if backoff:
                    self.log("accept works again")
                    backoff = 0.0
                if not self._take_slot(conn, slots):
                    return
                # Small answers go out at once: without it Nagle holds the response behind the
                # unacknowledged session tickets until the client's delayed ACK (40 ms a
                # request). Set before the connection is registered, so none is seen without.
                with contextlib.suppress(OSError):
                    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                t = threading.Thread(target=self._serve_one, args=(conn, addr), daemon=True,
                                     name=f"faqkb-tls-{self.scenario}-{addr[1]}")
                # Started under the lock: close() joins every thread in _threads, and joining
                # one not yet started raises (seen when stop() came in the middle of an attack).
                with self._cond:
                    self._threads.add(t)
                    self._conns[id(t)] = _Conn(self, conn, f"{addr[0]}:{addr[1]}")
                    t.start()
        finally:
            sel.close()

    def _take_slot(self, conn: socket.socket, slots: threading.BoundedSemaphore) -> bool:
        """Wait for a connection slot, cutting slow clients to free one; False on close()."""
        if slots.acquire(blocking=False):
            return True
        while True:
            # Every slot is taken: cut the longest wait on a client, if one is long enough.
            self._server.make_room()
            if slots.acquire(timeout=0.05):
                return True
            if self.closing():  # another thread's close() sets it meanwhile
                conn.close()
                self._done(None)
                return False

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
        with self._cond:
            c = self._conns.get(id(me)) or _Conn(self, conn, peer)
        try:
            conn.settimeout(self._server.timeout)
            if self.tls:
                self._serve_tls(c, peer)
            else:
                self._serve_plain(c, peer)
        except OSError as e:  # the client went away mid-answer, or close() cut the connection
            if not c.cut:  # make_room() already said why
                self.log(f"connection with {peer} failed: {e}")
        except Exception as e:  # a bug must not kill the server, but it must show
            self.log(f"internal error with {peer}: {type(e).__name__}: {e}")
        finally:
            self._server.wait_end(c)
            with self._cond:  # unregister before closing, so close() never touches a reused fd
                self._conns.pop(id(me), None)
            with contextlib.suppress(OSError):
                c.sock.close()
            self._server.slots.release()
            self._done(me)

    def _read_head(self, c: _Conn, sock: socket.socket) -> tuple[bytes, str]:
        """The request head and how reading it ended: "" (a head, or too much or not HTTP),
        "eof" (the client closed; "ragged": without close_notify), "idle" (``timeout`` of
        silence) or "deadline" (no complete head ``head_timeout`` after it could start)."""
        srv = self._server
        deadline = time.monotonic() + srv.head_timeout
        end = ""

        def recv(n: int) -> bytes:
            nonlocal end
            left = deadline - time.monotonic()
            if left <= 0:
                end = "deadline"
                raise TimeoutError("request head deadline")
            sock.settimeout(min(srv.timeout, left))
            try:
                chunk = sock.recv(n)
            except ssl.SSLEOFError:  # TCP FIN without close_notify (suppress_ragged_eofs off)
                end = "ragged"
                return b""
            except TimeoutError:
                end = "deadline" if srv.timeout >= left else "idle"
                raise
            if not chunk:
                end = "eof"
            c.got += len(chunk)
            return chunk

        srv.wait_begin(c, "request head")
        try:
            data = minihttp.read_head(recv)
        except TimeoutError:
            return b"", end
        finally:
            srv.wait_end(c)
        return data, ("" if minihttp.head_complete(data) or minihttp.head_too_large(data)
                      or not minihttp.looks_like_http(data) else end)

    def _timed_out(self, peer: str, end: str) -> str:
        srv = self._server
        if end == "deadline":
            return f"request from {peer} timed out: no complete head within {srv.head_timeout:g} s"
        return f"request from {peer} timed out: {srv.timeout:g} s without a byte"

    def _serve_plain(self, c: _Conn, peer: str) -> None:
        conn = c.sock
        data, end = self._read_head(c, conn)
        if c.cut:  # make_room() cut it (and said so)
            return
        if end in ("idle", "deadline"):
            self.log(self._timed_out(peer, end))
            return
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
        self._server.wait_begin(c, "lingering close")
        _linger(conn)

    def _serve_tls(self, c: _Conn, peer: str) -> None:
        srv = self._server
        # suppress_ragged_eofs off: a FIN without close_notify mid-request must show as such,
        # not as an empty read that looks like the end of the head.
        tls = srv.contexts.get(self.scenario).wrap_socket(
            c.sock, server_side=True, do_handshake_on_connect=False, suppress_ragged_eofs=False
        )
        with self._cond:
            c.sock = tls  # conn is detached now; tls owns the descriptor
            closed = self._closed
        if closed:
            return
        srv.wait_begin(c, "handshake")
        try:
            tls.do_handshake()
        except ssl.SSLError as e:
            srv.wait_end(c)
            if c.cut:  # make_room() already said why
                return
            srv.wait_begin(c, "lingering close")
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
            if not c.cut:  # make_room() already said why
                self.log(f"handshake aborted from {peer}: {e}")
            return
        finally:
            srv.wait_end(c)
        # The negotiated version: cipher()[1] is the cipher's minimum version (SSLv3 for
        # AES256-SHA even on TLS 1.2), which mod_ssl's SSL_PROTOCOL is not.
        name, _, bits = tls.cipher() or ("", "", 0)
        proto = tls.version() or ""
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
            data, end = self._read_head(c, tls)
        except OSError as e:
            if not c.cut:
                self.log(f"read failed from {peer}: {e}")
            return
        if c.cut:  # make_room() cut it (and said so): the EOF it read was ours
            return
        if end in ("idle", "deadline"):
            self.log(self._timed_out(peer, end))
            srv.wait_begin(c, "close_notify")
            _close_notify(tls, wait=0.2)  # end the stream properly, as after an answer
            return
        if end == "ragged" and data:
            # The client's TCP FIN without close_notify: nobody is left to read an answer.
            self.log(f"client {peer} closed mid-request ({len(data)} bytes of a head, no close_notify)")
            return
        if not data:
            self.log(f"connection from {peer} closed without a request")
            srv.wait_begin(c, "close_notify")
            _close_notify(tls)
            return
        env = minihttp.ssl_env(
            protocol=proto, cipher=name, use_bits=bits,
            alg_bits=alg_bits(tls.context, name, bits),
            resumed=bool(tls.session_reused), session_id=(tls.session.id.hex() if tls.session else ""),
            server_cert=srv.contexts.leaf_for(tls.context).cert, sni=sni,
            client_cert=client_cert, library=_LIBRARY,
        )
        status, payload, line = minihttp.answer(data, self.scenario, env)
        try:
            tls.sendall(payload)
        except OSError as e:
            self.log(f"write failed to {peer}: {e}")
            return
        self.log(f'{peer} {proto} {name} "{line}" {status} {len(payload)}')
        if minihttp.head_too_large(data) or not minihttp.looks_like_http(data):
            # The rest of the request is unread: close_notify, then drain it (lingering
            # close), or the RST of closing over unread data can destroy the answer.
            srv.wait_begin(c, "lingering close")
            _close_notify(tls, wait=0.0)
            _linger(tls, raw=True)
            return
        srv.wait_begin(c, "close_notify")
        _close_notify(tls)


def _close_notify(tls: ssl.SSLSocket, wait: float = 1.0) -> None:
    """Send TLS close_notify (what httpd does), then wait up to ``wait`` s for the peer's
    (0: do not wait)."""
    with contextlib.suppress(OSError, ValueError):
        tls.settimeout(wait)
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

    def __init__(self, pki: Pki, *, timeout: float = 10.0, head_timeout: float = 20.0,
                 max_connections: int = 128, evict_after: float = 1.0,
                 log_lines: int = 10000) -> None:
        self.pki = pki
        #: Seconds a handshake may take in all, and a read may wait for a byte.
        self.timeout = timeout
        #: Seconds the whole request head may take after the handshake (httpd: header=20).
        self.head_timeout = head_timeout
        #: A connection waiting this long on its client may be cut when every slot is taken
        #: (see :meth:`make_room`): a real client on loopback needs milliseconds for what it
        #: waits on, and a fresh client waits about this long for a slot.
        self.evict_after = evict_after
        #: Log lines each listener keeps (a ring; see :meth:`Listener.log_since`).
        self.log_lines = log_lines
        self.max_connections = max_connections
        #: One slot per connection served at once: past that, a client waits (never a thread bomb).
        self.slots = threading.BoundedSemaphore(max_connections)
        self._lock = threading.Lock()
        self._listeners: set[Listener] = set()
        # Connections waiting on their client, oldest wait first (dicts keep insertion order).
        self._waiting: dict[int, _Conn] = {}
        self._wait_lock = threading.Lock()
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
        sock = socket.create_server(("127.0.0.1", port), backlog=LISTEN_BACKLOG)
        listener = Listener(self, scenario, sock, cafile)
        if SCENARIOS[scenario].require_client_cert and self.contexts.ca_names_problem:
            listener.log(f"certificate requests name no CA: {self.contexts.ca_names_problem}")
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

    # -- slow clients ------------------------------------------------------------------------
    def wait_begin(self, c: _Conn, phase: str) -> None:
        """``c`` now waits on its client in ``phase``: it may be cut by :meth:`make_room`."""
        with self._wait_lock:
            self._waiting.pop(id(c), None)
            c.phase, c.since = phase, time.monotonic()
            self._waiting[id(c)] = c  # at the end: the order stays oldest wait first

    def wait_end(self, c: _Conn) -> None:
        """``c`` no longer waits on its client (it is being answered, or is done)."""
        with self._wait_lock:
            self._waiting.pop(id(c), None)
            c.phase = ""

    def make_room(self) -> bool:
        """Every slot is taken: cut one connection that has waited ``evict_after`` seconds or
        more on its client; True if one was cut.

        Which one: never a connection with bytes already waiting to be read (then the delay
        is the server's, not the client's). First the longest wait among those that have
        not even finished a ClientHello, or trickle a request head, or are past their
        answer; only then, after ``FINISHING_GRACE`` times as long, one that sent its
        ClientHello and is finishing the handshake, or has not sent its first byte of request
        yet, as a real client on a busy machine may.
        """
        now = time.monotonic()
        with self._wait_lock:
            victim = finishing_victim = None
            for c in self._waiting.values():  # oldest wait first
                if now - c.since < self.evict_after:
                    break
                if _has_unread(c.sock):
                    continue
                # Where a real client on a starved machine can be: past its ClientHello, or
                # through the handshake and not yet at its first byte of request. Such a
                # wait is cut only when four times as long (and the timeouts bound it anyway).
                if ((c.phase == "handshake" and hello_received(c.sock))
                        or (c.phase == "request head" and c.got == 0)):
                    if finishing_victim is None and now - c.since >= FINISHING_GRACE * self.evict_after:
                        finishing_victim = c
                    continue
                victim = c
                break
            victim = victim or finishing_victim
            if victim is None:
                return False
            del self._waiting[id(victim)]
            victim.cut = True
            phase, waited = victim.phase, now - victim.since
            # Under the lock: the owner unregisters (wait_end) before closing, so this
            # socket's descriptor cannot have been reused. The shutdown wakes its thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(victim.sock, socket.SHUT_RDWR)
        victim.listener.log(f"cut {victim.peer} after {waited:.1f} s in {phase}: all "
                            f"{self.max_connections} slots busy and a new client waiting")
        return True


def _has_unread(sock: socket.socket) -> bool:
    """True when the kernel holds bytes (or an EOF) for ``sock`` that nobody has read yet."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def line_writer(log: TextIO) -> Callable[[str], None]:
    """A :attr:`Listener.on_log` that writes each line whole: ``line + "\\n"`` in one
    ``write()`` under a lock (``print`` writes the text and the newline apart, so lines of
    concurrent connections merged)."""
    lock = threading.Lock()

    def write(line: str) -> None:
        # A closed stderr (its terminal gone) must not fail the connection being logged.
        with lock, contextlib.suppress(OSError, ValueError):
            log.write(line + "\n")
            log.flush()

    return write


#: The signals ``faqkb serve-tls`` stops on, each cleaning up its key folder: SIGTERM (kill),
#: SIGINT (Ctrl-C, and ``kill -INT`` even when started with ``cmd &`` from a script, which
#: starts it with SIGINT ignored) and SIGHUP (its terminal closed).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def serve(scenario: str, port: int = 0, out: TextIO = sys.stdout, workdir: Path | None = None,
          *, log: TextIO | None = None, stop: threading.Event | None = None) -> None:
    """Serve one scenario until SIGTERM, SIGINT or SIGHUP (``faqkb serve-tls``), or ``stop``.

    Prints one JSON line ``{"host", "port", "cafile", "scenario"}`` to ``out`` once
    listening; each log line goes to ``log`` when given. Without ``workdir`` the PKI lives in
    a temporary folder removed at the end. Signal handlers are installed only when called
    from the main thread (elsewhere, set ``stop``).
    """
    from faqkb.pki.authority import Pki

    tmp = None if workdir is not None else Path(tempfile.mkdtemp(prefix="faqkb-tls-"))
    base = workdir if workdir is not None else tmp
    assert base is not None
    stop = stop or threading.Event()
    old: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            # Our own handler, whatever was inherited (SIG_IGN included): the loop below
            # then leaves through the finally that removes the keys.
            old[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        with ReferenceServer(Pki(base)) as srv:
            lst = srv.lease(scenario, port=port)
            if log is not None:
                lst.on_log = line_writer(log)
            info = {"host": lst.host, "port": lst.port, "cafile": str(lst.cafile),
                    "scenario": scenario}
            print(json.dumps(info), file=out, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
