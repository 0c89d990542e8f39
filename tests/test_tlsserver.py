"""The reference TLS server, driven by real clients (openssl s_client, curl) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from faqkb.pki.fixtures import PASSPHRASE, materialize
from faqkb.tlsserver.scenarios import NO_SHARED_CIPHER_CIPHER, SCENARIOS
from faqkb.tlsserver.server import ReferenceServer

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
    assert fetch(b"GET /nope HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 404 ")
    assert fetch(b"POST / HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 405 ")
    assert fetch(b"nonsense\r\n\r\n").startswith(b"HTTP/1.1 400 ")


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
