"""The test PKI and the named fixtures, checked with the real openssl."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from faqkb.pki.fixtures import FIXTURES, PASSPHRASE, materialize


@pytest.fixture(scope="module")
def fx(pki, tmp_path_factory) -> Path:
    """Every fixture, each in its own folder (as separate sandboxes would get them)."""
    base = tmp_path_factory.mktemp("fixtures")
    for name in FIXTURES:
        materialize([name], base / name, pki)
    return base


def modulus(run_tool, *args: str) -> str:
    r = run_tool(["openssl", *args, "-noout", "-modulus"])
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_fixture_writes_exactly_its_files_world_readable(pki, tmp_path, name):
    paths = materialize([name], tmp_path / "sb", pki)
    assert [p.name for p in paths] == list(FIXTURES[name].files)
    assert sorted(os.listdir(tmp_path / "sb")) == sorted(FIXTURES[name].files)
    for p in paths:
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
        assert p.stat().st_size > 0


def test_materialize_several_returns_each_path_once_and_overwrites(pki, tmp_path):
    (tmp_path / "server.key").write_text("stale")
    paths = materialize(["server", "ca", "intermediate"], tmp_path, pki)
    assert len(paths) == len(set(paths)) == 6
    assert (tmp_path / "server.key").read_text().startswith("-----BEGIN PRIVATE KEY-----")


def test_unknown_fixture_is_refused_with_the_known_names(pki, tmp_path):
    with pytest.raises(KeyError, match=r"no-such.*known"):
        materialize(["ca", "no-such"], tmp_path, pki)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_server_chain_verifies(run_tool, fx):
    d = fx / "server"
    r = run_tool(["openssl", "verify", "-CAfile", str(fx / "ca" / "ca.crt"),
                  "-untrusted", "chain.crt", "server.crt"], cwd=d)
    assert r.returncode == 0 and "server.crt: OK" in r.stdout, r.stdout + r.stderr
    # Without the intermediate the leaf does not verify: the chain file matters.
    r = run_tool(["openssl", "verify", "-CAfile", str(fx / "ca" / "ca.crt"), "server.crt"], cwd=d)
    assert r.returncode != 0 and "unable to get local issuer certificate" in r.stdout + r.stderr
    r = run_tool(["openssl", "verify", "-CAfile", str(fx / "ca" / "ca.crt"),
                  str(fx / "intermediate" / "intermediate.crt")])
    assert r.returncode == 0, r.stdout + r.stderr
    full = (d / "fullchain.crt").read_text()
    assert full == (d / "server.crt").read_text() + (d / "chain.crt").read_text()


def test_leaf_names_localhost_and_ip_for_server_auth(run_tool, fx):
    r = run_tool(["openssl", "x509", "-in", str(fx / "server" / "server.crt"), "-noout",
                  "-subject", "-ext", "subjectAltName,extendedKeyUsage"])
    assert "CN = localhost" in r.stdout
    assert "DNS:localhost, IP Address:127.0.0.1" in r.stdout
    assert "TLS Web Server Authentication" in r.stdout


def test_leaf_validity_is_relative_to_now(pki):
    cert = pki.leaf("server").cert
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(days=2) < cert.not_valid_before_utc < now
    assert now + dt.timedelta(days=300) < cert.not_valid_after_utc < now + dt.timedelta(days=400)
    assert pki.leaf("expired").cert.not_valid_after_utc < now


def test_key_matches_certificate_and_other_key_matches_nothing(run_tool, fx):
    crt = modulus(run_tool, "x509", "-in", str(fx / "server" / "server.crt"))
    assert modulus(run_tool, "rsa", "-in", str(fx / "server" / "server.key")) == crt
    assert modulus(run_tool, "rsa", "-in", str(fx / "csr" / "server.key")) == crt
    other = modulus(run_tool, "rsa", "-in", str(fx / "other-key" / "other.key"))
    for d, cert in [("server", "server.crt"), ("client", "client.crt"), ("ca", "ca.crt"),
                    ("self-signed", "selfsigned.crt"), ("expired", "expired.crt")]:
        assert modulus(run_tool, "x509", "-in", str(fx / d / cert)) != other, cert
    ca = modulus(run_tool, "x509", "-in", str(fx / "ca-key" / "ca.crt"))
    assert modulus(run_tool, "rsa", "-in", str(fx / "ca-key" / "ca.key")) == ca


def test_encrypted_key_needs_the_pass_phrase(run_tool, fx, tmp_path):
    d = fx / "encrypted-key"
    assert (d / "server.key").read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    r = run_tool(["openssl", "rsa", "-in", str(d / "server.key"), "-passin", f"pass:{PASSPHRASE}",
                  "-out", "plain.key"])
    assert r.returncode == 0 and "writing RSA key" in r.stderr, r.stderr
    assert modulus(run_tool, "rsa", "-in", str(tmp_path / "plain.key")) == modulus(
        run_tool, "x509", "-in", str(d / "server.crt"))
    r = run_tool(["openssl", "rsa", "-in", str(d / "server.key"), "-passin", "pass:wrong",
                  "-noout"])
    # A wrong pass phrase usually fails the padding check ("bad decrypt"); about once in
    # 256 encryptions the garbage happens to pad correctly and the decoder fails instead.
    assert r.returncode != 0 and re.search(r"bad decrypt|No supported data to decode", r.stderr)


def test_csr_names_localhost(run_tool, fx):
    r = run_tool(["openssl", "req", "-in", str(fx / "csr" / "server.csr"), "-noout", "-verify",
                  "-subject", "-text"])
    assert r.returncode == 0, r.stderr
    assert "verify OK" in r.stdout + r.stderr
    assert "CN = localhost" in r.stdout and "DNS:localhost, IP Address:127.0.0.1" in r.stdout


def test_client_certificate_and_pkcs12(run_tool, fx):
    d, ca = fx / "client", str(fx / "ca" / "ca.crt")
    r = run_tool(["openssl", "verify", "-CAfile", ca, "-purpose", "sslclient", "client.crt"], cwd=d)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_tool(["openssl", "verify", "-CAfile", ca, "-purpose", "sslserver", "client.crt"], cwd=d)
    assert r.returncode != 0  # clientAuth only
    r = run_tool(["openssl", "pkcs12", "-in", "client.p12", "-passin", f"pass:{PASSPHRASE}",
                  "-nokeys"], cwd=d)
    assert r.returncode == 0, r.stderr
    assert "subject=O = faqkb Test PKI, CN = faqkb Test Client" in r.stdout
    r = run_tool(["openssl", "pkcs12", "-in", "client.p12", "-passin", "pass:wrong", "-nokeys"],
                 cwd=d)
    assert r.returncode != 0 and "verify error" in r.stderr.lower() + r.stdout.lower()


def test_self_signed_expired_and_weak(run_tool, fx):
    ca = str(fx / "ca" / "ca.crt")
    r = run_tool(["openssl", "verify", "-CAfile", ca, str(fx / "self-signed" / "selfsigned.crt")])
    assert r.returncode != 0 and "self-signed certificate" in r.stdout + r.stderr
    ss = str(fx / "self-signed" / "selfsigned.crt")
    assert run_tool(["openssl", "verify", "-CAfile", ss, ss]).returncode == 0
    r = run_tool(["openssl", "verify", "-CAfile", ca, str(fx / "expired" / "expired.crt")])
    assert r.returncode != 0 and "certificate has expired" in r.stdout + r.stderr
    r = run_tool(["openssl", "rsa", "-in", str(fx / "weak-key" / "weak.key"), "-noout", "-text"])
    assert "Private-Key: (1024 bit" in r.stdout
    # OpenSSL 3 at its default security level refuses to serve it. The explicit 127.0.0.1:0
    # matters: were the key accepted, s_server would otherwise listen on 4433.
    r = run_tool(["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
                  "-cert", "weak.crt", "-key", "weak.key"], cwd=fx / "weak-key", timeout=10)
    assert r.returncode != 0 and "ee key too small" in r.stderr


def test_cafile_is_the_root(pki):
    assert pki.cafile.read_bytes() == pki.root.cert_pem()
    assert pki.root.subject == "CN=faqkb Test Root CA,O=faqkb Test PKI"
    assert pki.intermediate.issuer == pki.root.subject
    assert pki.untrusted_root.subject != pki.root.subject


def test_pki_is_thread_safe_and_reuses_keys(tmp_path):
    from faqkb.pki.authority import Pki

    p = Pki(tmp_path)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(p.leaf("server"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(g) for g in got}) == 1
    # Leaves of one role share the pooled key; certificates differ.
    a, b = p.leaf("host:a.example"), p.leaf("host:b.example")
    assert a.key is b.key and a.cert != b.cert
    # Nothing is generated that was not asked for.
    assert not any(k.startswith("key:") and k not in {"key:root", "key:intermediate", "key:server"}
                   for k in p._memo)


def test_importing_fixtures_stays_cheap():
    code = "import sys, faqkb.pki.fixtures; print('cryptography' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30,
                       env={"PATH": os.environ.get("PATH", "")}, start_new_session=True)
    assert r.stdout.strip() == "False", r.stderr
