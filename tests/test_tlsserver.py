"""The reference TLS server, driven by real clients (openssl s_client, curl) on 127.0.0.1."""

from __future__ import annotations

import io
import json
import os
import resource
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from faqkb.pki.fixtures import PASSPHRASE, materialize
from faqkb.tlsserver.scenarios import NO_SHARED_CIPHER_CIPHER, SCENARIOS
from faqkb.tlsserver.server import ReferenceServer, serve

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def server(pki):
    with ReferenceServer(pki) as srv:
        yield srv


@pytest.fixture(scope="module")
def files(pki, tmp_path_factory) -> Path:
    """What a reader has at hand: ca.crt and the client fixture."""
    d = tmp_path_factory.mktemp("client")
    materialize(["ca", "client"], d, pki)
    return d


@pytest.fixture
def lease(server):
    opened = []

    def _lease(scenario: str):
        lst = server.lease(scenario)
        opened.append(lst)
        return lst

    yield _lease
    for lst in opened:
        lst.close()


@pytest.fixture
def s_client(run_tool, files):
    """``s_client(listener, *args, stdin="")``: stdout+stderr and exit code of openssl s_client."""

    def _s(lst, *args: str, stdin: str = "") -> tuple[int, str]:
        argv = ["openssl", "s_client", "-connect", f"localhost:{lst.port}", *args]
        if stdin:
            argv.append("-ign_eof")  # else s_client may hang up before the answer arrives
        r = run_tool(argv, cwd=files, input=stdin, timeout=15)
        return r.returncode, r.stdout + r.stderr

    return _s


@pytest.fixture
def curl(run_tool, files):
    """``curl(url_or_listener, *args)``: stdout+stderr and exit code of curl --cacert ca.crt."""

    def _c(target, *args: str, path: str = "/") -> tuple[int, str]:
        url = target if isinstance(target, str) else target.url.rstrip("/") + path
        r = run_tool(["curl", "-sS", "--max-time", "10", "--cacert", "ca.crt", *args, url],
                     cwd=files, timeout=15)
        return r.returncode, r.stdout + r.stderr

    return _c


def test_scenario_registry_is_one_table():
    assert all(name == s.name and s.description for name, s in SCENARIOS.items())
    plain = [n for n, s in SCENARIOS.items() if not s.tls]
    assert plain == ["plain-http"] and SCENARIOS["plain-http"].shown["url"] == "http://localhost/"
    assert SCENARIOS["default"].shown["url"] == "https://localhost/"


def test_default_succeeds_and_is_logged(lease, curl, s_client):
    lst = lease("default")
    mark = lst.log_mark()
    rc, out = curl(lst)
    assert rc == 0 and "scenario default" in out, out
    rc, out = s_client(lst, "-CAfile", "ca.crt", "-servername", "localhost")
    assert rc == 0 and "Verify return code: 0 (ok)" in out
    assert "CN = faqkb Test Intermediate CA" in out  # the chain is sent
    log = lst.log_since(mark)
    assert '"GET / HTTP/1.1" 200' in log and "TLSv1.3" in log
    assert "closed without a request" in log


def test_default_fails_with_the_wrong_ca(lease, run_tool, files):
    lst = lease("default")
    # The system trust store does not know the test root.
    r = run_tool(["curl", "-sS", "--max-time", "10", lst.url], cwd=files)
    assert r.returncode == 60 and "unable to get local issuer certificate" in r.stderr


@pytest.mark.parametrize(("scenario", "message"), [
    ("self-signed", "self-signed certificate"),
    ("expired", "certificate has expired"),
    ("incomplete-chain", "unable to get local issuer certificate"),
    ("untrusted-root", "self-signed certificate in certificate chain"),
    ("wrong-host", "no alternative certificate subject name matches target host name 'localhost'"),
])
def test_certificate_problems_fail_as_people_see_them(lease, curl, scenario, message):
    lst = lease(scenario)
    mark = lst.log_mark()
    rc, out = curl(lst)
    assert rc == 60 and message in out, out
    if scenario != "wrong-host":  # curl checks the name after the handshake
        assert "handshake failed from 127.0.0.1:" in lst.log_since(mark)


def test_s_client_shows_the_verify_errors(lease, s_client):
    cases = {"expired": "Verify return code: 10 (certificate has expired)",
             "self-signed": "Verify return code: 18 (self-signed certificate)",
             "incomplete-chain": "unable to get local issuer certificate",
             "untrusted-root": "Verify return code: 19 (self-signed certificate in certificate chain)"}
    for scenario, message in cases.items():
        _, out = s_client(lease(scenario), "-CAfile", "ca.crt")
        assert message in out, (scenario, out)
    _, out = s_client(lease("wrong-host"), "-CAfile", "ca.crt", "-verify_hostname", "localhost")
    assert "Verify return code: 62 (hostname mismatch)" in out


def test_wrong_host_is_valid_for_its_own_name(lease, curl):
    lst = lease("wrong-host")
    rc, out = curl(f"https://wrong.example:{lst.port}/", "--resolve",
                   f"wrong.example:{lst.port}:127.0.0.1")
    assert rc == 0 and "scenario wrong-host" in out, out


def test_self_signed_works_when_trusted_itself(lease, curl, pki, tmp_path):
    materialize(["self-signed"], tmp_path, pki)
    rc, out = curl(lease("self-signed"), "--cacert", str(tmp_path / "selfsigned.crt"))
    assert rc == 0 and "scenario self-signed" in out, out


def test_no_shared_cipher_and_its_fix(lease, s_client, curl):
    lst = lease("no-shared-cipher")
    mark = lst.log_mark()
    rc, out = s_client(lst)
    assert rc != 0 and "alert handshake failure" in out
    rc, out = curl(lst)
    assert rc == 35 and "alert handshake failure" in out
    log = lst.log_since(mark)
    assert log.count("[SSL: NO_SHARED_CIPHER] no shared cipher") == 2, log
    rc, out = s_client(lst, "-CAfile", "ca.crt", "-tls1_2", "-cipher", NO_SHARED_CIPHER_CIPHER)
    assert rc == 0 and f"Cipher is {NO_SHARED_CIPHER_CIPHER}" in out
    rc, out = curl(lst, "--ciphers", NO_SHARED_CIPHER_CIPHER, path="/env")
    assert rc == 0 and f"SSL_CIPHER={NO_SHARED_CIPHER_CIPHER}\n" in out, out


def test_client_certificate_required(lease, curl, s_client):
    lst = lease("client-cert-required")
    mark = lst.log_mark()
    rc, out = curl(lst)
    assert rc != 0 and "alert certificate required" in out, out
    assert "peer did not return a certificate" in lst.log_since(mark)
    rc, out = curl(lst, "--cert", "client.crt", "--key", "client.key", path="/env")
    assert rc == 0, out
    assert "SSL_CLIENT_VERIFY=SUCCESS\n" in out
    assert "SSL_CLIENT_S_DN=CN=faqkb Test Client,O=faqkb Test PKI\n" in out
    rc, out = curl(lst, "--cert-type", "P12", "--cert", f"client.p12:{PASSPHRASE}")
    assert rc == 0 and "scenario client-cert-required" in out, out
    rc, out = s_client(lst, "-CAfile", "ca.crt", "-cert", "client.crt", "-key", "client.key",
                       stdin="GET / HTTP/1.0\r\n\r\n")
    assert "HTTP/1.1 200 OK" in out


@pytest.mark.parametrize("version", ["-tls1_2", "-tls1_3"])
def test_client_certificate_request_names_the_ca(lease, s_client, version):
    """As httpd with SSLCACertificateFile: the CertificateRequest lists the acceptable CA."""
    lst = lease("client-cert-required")
    _rc, out = s_client(lst, "-CAfile", "ca.crt", version)
    assert "No client certificate CA names sent" not in out, out
    names = out.split("Acceptable client certificate CA names", 1)[1].splitlines()[1]
    assert "faqkb Test" in names and "CA" in names, out


def test_tls12_only(lease, s_client):
    lst = lease("tls12-only")
    rc, out = s_client(lst, "-tls1_3")
    assert rc != 0 and "alert protocol version" in out
    rc, out = s_client(lst, "-CAfile", "ca.crt")
    assert rc == 0 and "New, TLSv1.2, Cipher is" in out


def test_sni_picks_the_certificate_by_name(lease, s_client, curl):
    lst = lease("sni")
    for name in ("shop.example.com", "www.example.com"):
        _, out = s_client(lst, "-servername", name)
        assert f"subject=O = faqkb Test PKI, CN = {name}" in out
    _, out = s_client(lst, "-servername", "other.example")
    assert "subject=O = faqkb Test PKI, CN = localhost" in out  # the first vhost
    rc, out = curl(f"https://shop.example.com:{lst.port}/env",
                   "--resolve", f"shop.example.com:{lst.port}:127.0.0.1")
    assert rc == 0, out
    assert "SSL_TLS_SNI=shop.example.com\n" in out and "SSL_SERVER_S_DN_CN=shop.example.com\n" in out


def test_plain_http(lease, s_client, curl):
    lst = lease("plain-http")
    assert lst.url.startswith("http://")
    mark = lst.log_mark()
    rc, out = curl(lst)
    assert rc == 0 and "scenario plain-http" in out
    rc, out = s_client(lst)
    assert rc != 0 and "wrong version number" in out
    rc, out = curl(f"https://localhost:{lst.port}/")
    assert rc == 35 and "wrong version number" in out
    log = lst.log_since(mark)
    assert '"GET / HTTP/1.1" 200' in log and "a TLS handshake" in log


def test_env_and_a_typed_request(lease, s_client):
    lst = lease("default")
    rc, out = s_client(lst, "-CAfile", "ca.crt", "-sess_out", "sess.pem",
                       stdin="GET /env HTTP/1.0\r\n\r\n")
    assert rc == 0 and "HTTP/1.1 200 OK" in out and "Connection: close" in out
    for line in ("HTTPS=on", "SSL_PROTOCOL=TLSv1.3", "SSL_CIPHER=TLS_AES_256_GCM_SHA384",
                 "SSL_CIPHER_USEKEYSIZE=256", "SSL_SESSION_RESUMED=Initial",
                 "SSL_CLIENT_VERIFY=NONE", "SSL_SERVER_S_DN=CN=localhost,O=faqkb Test PKI",
                 "SSL_SERVER_I_DN=CN=faqkb Test Intermediate CA,O=faqkb Test PKI",
                 "SSL_VERSION_LIBRARY=OpenSSL/3."):
        assert line in out, line
    assert "unexpected eof" not in out.lower()  # the server sent close_notify
    _, out = s_client(lst, "-CAfile", "ca.crt", "-sess_in", "sess.pem",
                      stdin="GET /cgi-bin/env HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert "Reused, TLSv1.3" in out and "SSL_SESSION_RESUMED=Resumed" in out


def test_close_notify_head_and_errors_with_python_client(lease, files):
    lst = lease("default")
    ctx = ssl.create_default_context(cafile=str(files / "ca.crt"))

    def fetch(request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", lst.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                tls.sendall(request)
                data = b""
                while chunk := tls.recv(65536):  # b"" only on close_notify; EOF would raise
                    data += chunk
                return data

    head = fetch(b"HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
    assert fetch(b"GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    assert fetch(b"POST / HTTP/1.1\r\nhost:localhost\r\n\r\n").startswith(b"HTTP/1.1 405 ")
    assert fetch(b"nonsense\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    # D8: refused as httpd refuses them (and the answer reaches the client, unread rest or not).
    assert fetch(b"GET / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 400 ")  # RFC 9112: no Host
    assert fetch(b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.1 200 ")  # 1.0 needs none
    big = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-H: " + b"v" * 20000 + b"\r\n\r\n"
    assert fetch(big).startswith(b"HTTP/1.1 431 ")
    flood = b"GET / HTTP/1.1\r\nHost: localhost\r\n" + b"X-H: vvvvvvvvvvvvvvvvvvvv\r\n" * 5000
    assert fetch(flood).startswith(b"HTTP/1.1 431 ")  # over the limit, never ended
    long_target = b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert fetch(long_target).startswith(b"HTTP/1.1 414 ")
    huge_target = b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n"
    assert fetch(huge_target).startswith(b"HTTP/1.1 414 ")


def test_plain_http_on_the_tls_port(lease, curl):
    lst = lease("default")
    mark = lst.log_mark()
    rc, out = curl(f"http://localhost:{lst.port}/")
    assert rc == 0 and "speaking plain HTTP to an SSL-enabled server port" in out
    assert "[SSL: HTTP_REQUEST] http request" in lst.log_since(mark)


def test_survives_garbage_and_vanishing_clients(lease, curl):
    for scenario in ("default", "plain-http"):
        lst = lease(scenario)
        mark = lst.log_mark()
        for payload in (os.urandom(3000), b"\x16\x03\x01\x02\x00\x01", b"\x00" * 10, b""):
            with socket.create_connection(("127.0.0.1", lst.port), timeout=5) as s:
                if payload:
                    s.sendall(payload)
        rc, out = curl(lst)
        assert rc == 0 and f"scenario {scenario}" in out, out
        log = lst.log_since(mark)
        assert log.count("\n") >= 5, log
        assert "internal error" not in log


def test_many_clients_at_once(lease, run_tool, files):
    lst = lease("default")
    mark = lst.log_mark()
    r = run_tool(["curl", "-sS", "--cacert", "ca.crt", "--max-time", "20", "--parallel",
                  "--parallel-immediate", "--parallel-max", "50", "-w", "%{http_code}\\n",
                  *[lst.url, "-o", "/dev/null"] * 50], cwd=files, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["200"] * 50
    assert lst.log_since(mark).count('"GET / HTTP/1.1" 200') == 50


def test_logs_are_per_lease(lease, curl):
    a, b = lease("default"), lease("default")
    assert a.port != b.port
    ma, mb = a.log_mark(), b.log_mark()
    curl(a)
    assert '"GET / HTTP/1.1" 200' in a.log_since(ma)
    assert b.log_since(mb) == ""


def test_silent_client_times_out(pki):
    with ReferenceServer(pki, timeout=0.3) as srv:
        lst = srv.lease("default")
        with socket.create_connection(("127.0.0.1", lst.port), timeout=5):
            assert lst.wait_idle(5)
        assert "handshake timed out" in lst.log_since(0)


def test_stop_leaves_no_thread_or_socket(pki):
    srv = ReferenceServer(pki)
    lst = srv.lease("default")
    plain = srv.lease("plain-http")
    silent = socket.create_connection(("127.0.0.1", lst.port), timeout=5)
    half = socket.create_connection(("127.0.0.1", plain.port), timeout=5)
    half.sendall(b"GET / HTTP/1.1\r\n")
    assert not lst.wait_idle(0.1)  # the silent client holds a connection
    srv.stop()
    assert silent.recv(1) == b"" and half.recv(1) == b""  # both cut
    silent.close()
    half.close()
    # The module's server has no lease open now; this one's threads are all joined.
    assert [t.name for t in threading.enumerate() if t.name.startswith("faqkb-tls")] == []
    log = lst.log_since(0) + plain.log_since(0)
    assert "internal error" not in log
    for port in (lst.port, plain.port):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5)
    with pytest.raises(RuntimeError):
        srv.lease("default")


def test_unknown_scenario(server):
    with pytest.raises(ValueError, match="unknown scenario"):
        server.lease("nope")


def test_serve_prints_one_json_line_and_stops_on_sigterm(run_tool, files):
    code = "from faqkb.tlsserver.server import serve; serve('tls12-only')"
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(files)}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env, cwd=REPO, start_new_session=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["host"] == "localhost" and info["scenario"] == "tls12-only"
        assert Path(info["cafile"]).is_file()
        r = run_tool(["curl", "-sS", "--max-time", "10", "--cacert", info["cafile"],
                      f"https://localhost:{info['port']}/env"])
        assert "SSL_PROTOCOL=TLSv1.2" in r.stdout, r.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert not Path(info["cafile"]).exists()  # the temporary PKI is gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()


# ------------------------------------------------------------------ the review's defects (D1-D11)
# tests/test_server_load.py puts all of it under one mixed load.

def _ctx(files) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files / "ca.crt"))


def _tls(lst, files, timeout: float = 10) -> ssl.SSLSocket:
    """A TLS connection to ``lst`` that reports a FIN without close_notify as SSLEOFError."""
    raw = socket.create_connection(("127.0.0.1", lst.port), timeout=timeout)
    return _ctx(files).wrap_socket(raw, server_hostname="localhost", suppress_ragged_eofs=False)


def _get(lst, files, timeout: float = 10) -> bytes:
    with _tls(lst, files, timeout) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


class _Trickler(threading.Thread):
    """A slowloris client: TLS handshake, then a request head one byte every ``every`` s
    (``tls=False``: raw TCP, trickling garbage into the handshake). Stops by itself after
    ``limit`` s, or when the server ends the connection (``.ended`` says after how long)."""

    def __init__(self, lst, files, *, tls: bool = True, every: float = 0.2, limit: float = 8.0):
        super().__init__(daemon=True)
        self.lst, self.files, self.use_tls, self.every, self.limit = lst, files, tls, every, limit
        self.ended: float | None = None
        self.started_up = threading.Event()

    def run(self) -> None:
        t0 = time.monotonic()
        try:
            s = _tls(self.lst, self.files) if self.use_tls else socket.create_connection(
                ("127.0.0.1", self.lst.port), timeout=10)
        except OSError:
            self.ended = 0.0
            self.started_up.set()
            return
        self.started_up.set()
        with s:
            data = b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"x" * 4000
            for k in range(len(data)):
                if time.monotonic() - t0 > self.limit:
                    return
                try:
                    s.sendall(data[k:k + 1])
                    if (socket.socket.recv(s, 1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""):
                        break  # FIN: the server ended it
                except BlockingIOError:
                    pass
                except OSError:
                    break
                time.sleep(self.every)
        self.ended = time.monotonic() - t0


def test_d1_the_request_head_has_a_total_deadline(pki, files):
    with ReferenceServer(pki, timeout=1.0, head_timeout=1.5) as srv:
        lst = srv.lease("default")
        slow = _Trickler(lst, files, every=0.2, limit=8.0)  # a byte every 0.2 s beats the 1 s idle timeout
        slow.start()
        slow.join(12)
        assert slow.ended is not None and slow.ended < 6.0, slow.ended  # cut, not left to trickle 8 s
        assert lst.wait_idle(5)
        assert "timed out: no complete head within 1.5 s" in lst.log_since(0)


def test_d1_a_fresh_client_is_served_while_slow_clients_hold_every_slot(pki, files):
    # Default timeouts (10 s idle, 20 s head): only cutting a slow client frees a slot in time.
    with ReferenceServer(pki, max_connections=4, evict_after=0.5) as srv:
        lst = srv.lease("default")
        slow = [_Trickler(lst, files, tls=i % 2 == 0, every=0.2, limit=10.0) for i in range(6)]
        for t in slow:
            t.start()
            t.started_up.wait(5)
        time.sleep(0.8)  # every slot held, the two extra slow clients queued behind them
        assert _get(lst, files, timeout=5).startswith(b"HTTP/1.1 200 ")
        for t in slow:
            t.join(15)
        log = lst.log_since(0)
        assert "all 4 slots busy and a new client waiting" in log, log
        assert '"GET / HTTP/1.1" 200' in log and "internal error" not in log


def test_d2_the_negotiated_protocol_is_reported(lease, curl):
    lst = lease("default")
    mark = lst.log_mark()
    rc, out = curl(lst, "--tls-max", "1.2", "--ciphers", "AES256-SHA", path="/env")
    assert rc == 0 and "SSL_CIPHER=AES256-SHA\n" in out, out
    assert "SSL_PROTOCOL=TLSv1.2\n" in out  # cipher()[1] said SSLv3
    assert "handshake ok from 127.0.0.1:" in (log := lst.log_since(mark))
    assert "TLSv1.2 AES256-SHA" in log and "SSLv3" not in log


def test_d3_accepted_sockets_have_tcp_nodelay(lease):
    lst = lease("default")
    with socket.create_connection(("127.0.0.1", lst.port), timeout=5):
        for _ in range(100):  # until the server thread has the connection
            with lst._cond:
                conns = [c.sock for c in lst._conns.values()]
            if conns:
                break
            time.sleep(0.02)
        assert conns and conns[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_d4_serve_tls_writes_each_log_line_whole(pki, files, tmp_path):
    class Writes(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.writes: list[str] = []
            self.lock = threading.Lock()

        def write(self, s: str) -> int:
            with self.lock:
                self.writes.append(s)
            return len(s)

    out, log, stop = io.StringIO(), Writes(), threading.Event()
    t = threading.Thread(target=serve, args=("default",), kwargs={
        "out": out, "workdir": tmp_path, "log": log, "stop": stop}, daemon=True)
    t.start()
    try:
        for _ in range(500):
            if out.getvalue():
                break
            time.sleep(0.02)
        info = json.loads(out.getvalue())
        ctx = ssl.create_default_context(cafile=info["cafile"])

        def one(_: int) -> None:
            with socket.create_connection(("127.0.0.1", info["port"]), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                    while s.recv(65536):
                        pass

        with ThreadPoolExecutor(16) as ex:
            list(ex.map(one, range(64)))
    finally:
        stop.set()
        t.join(10)
    assert not t.is_alive()
    assert len(log.writes) >= 128
    # print() wrote the text and the newline apart: lines of two threads merged.
    assert all(w.endswith("\n") and w.count("\n") == 1 and len(w) > 1 for w in log.writes)


def test_d5_listen_backlog_is_1024(lease, run_tool):
    lst = lease("default")
    r = run_tool(["ss", "-ltnH", f"sport = :{lst.port}"])
    # For a listening socket ss shows the backlog as Send-Q (the third column).
    assert r.stdout.split()[2] == "1024", r.stdout


def test_d7_idle_timeout_ends_with_close_notify(pki, files):
    with ReferenceServer(pki, timeout=0.5) as srv:
        lst = srv.lease("default")
        with _tls(lst, files) as s:
            assert s.recv(100) == b""  # close_notify; a bare FIN raised SSLEOFError
        assert lst.wait_idle(5)
        assert "timed out: 0.5 s without a byte" in lst.log_since(0)


def test_d7_truncated_head_then_fin_is_a_client_close(lease, files):
    lst = lease("default")
    mark = lst.log_mark()
    with _tls(lst, files) as s:
        s.sendall(b"GET /env HTTP/1.1\r\nHost: loc")
        socket.socket.shutdown(s, socket.SHUT_WR)  # TCP FIN, no close_notify
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
    log = lst.log_since(mark)
    assert "closed mid-request (28 bytes of a head, no close_notify)" in log, log
    assert "write failed" not in log


def test_d9_the_log_is_a_ring_and_marks_still_work(pki):
    with ReferenceServer(pki, log_lines=10) as srv:
        lst = srv.lease("plain-http")
        for i in range(25):
            lst.log(f"old {i}")
        mark = lst.log_mark()
        assert mark == 25
        for i in range(3):
            lst.log(f"new {i}")
        assert lst.log_since(mark) == "new 0\nnew 1\nnew 2\n"
        assert lst.log_since(0).splitlines() == [f"old {i}" for i in range(18, 25)] + ["new 0", "new 1", "new 2"]
        assert len(lst._lines) == 10


def _child_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_d10_accept_backs_off_when_out_of_descriptors(files, tmp_path, run_tool):
    def low_fd_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (40, 40))

    err = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "faqkb", "serve-tls"], stdout=subprocess.PIPE,
                            stderr=err, text=True, cwd=REPO, start_new_session=True,
                            preexec_fn=low_fd_limit)
    held: list[socket.socket] = []
    try:
        info = json.loads(proc.stdout.readline())
        for _ in range(50):  # silent clients: the server runs out of descriptors
            held.append(socket.create_connection(("127.0.0.1", info["port"]), timeout=5))
        time.sleep(0.5)
        cpu0 = _child_cpu(proc.pid)
        time.sleep(2.0)
        spent = _child_cpu(proc.pid) - cpu0
        assert spent < 0.5, f"{spent:.2f} s of CPU in 2 s: the accept loop spins"
        for s in held:
            s.close()
        held.clear()
        r = run_tool(["curl", "-sS", "--max-time", "15", "--cacert", info["cafile"],
                      f"https://localhost:{info['port']}/"], timeout=20)
        assert "scenario default" in r.stdout, r.stderr
    finally:
        for s in held:
            s.close()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()
        err.close()
    log = (tmp_path / "serve.log").read_text()
    assert log.count("accept failed: [Errno 24] Too many open files; backing off") == 1, log
    assert "accept works again" in log


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGHUP])
def test_d11_serve_tls_cleans_up_on_sigint_even_if_ignored_and_on_sighup(sig):
    def ignore_sigint() -> None:  # what `cmd &` from a script does
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    proc = subprocess.Popen([sys.executable, "-m", "faqkb", "serve-tls"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, cwd=REPO, start_new_session=True,
                            preexec_fn=ignore_sigint)
    try:
        info = json.loads(proc.stdout.readline())
        keys = Path(info["cafile"]).parent
        while not keys.name.startswith("faqkb-tls-"):
            keys = keys.parent
        assert keys.is_dir()
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
        assert not keys.exists()  # the CA and leaf keys are gone
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()


def test_ca_names_fall_back_when_the_layout_check_fails(monkeypatch, pki):
    """A failed (or crashing) check in the child leaves the context alone and says why."""
    from faqkb.tlsserver import ca_names

    monkeypatch.setattr(ca_names, "_CHECK", "import os; os.abort()")  # a crash, in the child
    why = ca_names.layout_works.__wrapped__()
    assert why is not None and "layout check failed" in why
    monkeypatch.setattr(ca_names, "layout_works", lambda: why)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    assert ca_names.send_ca_names(ctx, pki.cafile) == why
