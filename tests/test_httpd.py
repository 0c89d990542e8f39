"""The private Apache httpd backend, against the real /usr/sbin/apache2 on 127.0.0.1."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization

from faqkb.httpd.config import HttpdConfig, HttpdError
from faqkb.httpd.process import HttpdProcess, httpd_available, httpd_version
from faqkb.model import Httpd
from tests.kbutil import processes_matching

_REASON = httpd_available()
needs_httpd = pytest.mark.skipif(_REASON is not None, reason=f"needs Apache httpd: {_REASON}")

VHOST = """\
Listen 443
<VirtualHost *:443>
    ServerName localhost:443
    SSLEngine on
    SSLCertificateFile /etc/ssl/certs/server.crt
    SSLCertificateKeyFile /etc/ssl/private/server.key
{extra}</VirtualHost>
"""
CGI = "#!/bin/sh\necho 'Content-Type: text/plain'\necho\nenv | grep '^SSL_' | sort\n"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def leaf(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost")


@pytest.fixture
def sandbox(ca: trustme.CA, leaf: trustme.LeafCert) -> Iterator[Path]:
    # Not tmp_path: pytest's base dir is 0700, and httpd's workers run as nobody.
    sb = Path(tempfile.mkdtemp(prefix="faqkb-httpd-test-"))
    leaf.private_key_pem.write_to_path(str(sb / "server.key"))
    leaf.cert_chain_pems[0].write_to_path(str(sb / "server.crt"))
    ca.cert_pem.write_to_path(str(sb / "ca.crt"))
    yield sb
    shutil.rmtree(sb, ignore_errors=True)


def vhost(extra: str = "") -> str:
    return VHOST.format(extra=extra)


@pytest.fixture
def curl(run_tool):
    """``curl(sb, url, *opts)``: curl in sandbox ``sb``, trusting its CA."""
    def _curl(sb: Path, url: str, *opts: str):
        return run_tool(["curl", "-sS", "--max-time", "20", "--cacert", str(sb / "ca.crt"), *opts, url],
                        cwd=sb, timeout=30)

    return _curl


def httpd_processes(backend: HttpdProcess) -> list[str]:
    """Processes running with this backend's config (other tests' httpds do not count)."""
    return processes_matching(str(backend.config.conf))


# ------------------------------------------------------------------ rewriting (no httpd needed)
def test_rewrite_ports_and_paths_keeps_lines(sandbox: Path) -> None:
    config = (
        "Listen 443\nListen [::]:443\nListen 0.0.0.0:80 http\n"
        "<VirtualHost _default_:443 192.168.1.1:443>\n"
        "  ServerName www.example.com:443\n"
        "  SSLCertificateFile /etc/apache2/ssl.crt/server.crt\n"
        "  SSLCertificateChainFile \"/usr/local/apache2/conf/chain.crt\"\n"
        "  DocumentRoot /var/www/html\n"
        "  ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/\n"
        "  CustomLog /var/log/apache2/ssl_request_log common\n"
        "  SSLPassPhraseDialog exec:/usr/local/bin/passphrase.sh\n"
        "  Redirect / https://localhost/\n"
        "  SSLCACertificateFile /opt/pki/root.pem\n"
        "  Include /etc/apache2/extra/ssl.conf\n"
        "  Alias /mine /var/www/htmlish\n"
        "</VirtualHost>\n<VirtualHost *:80>\n</VirtualHost>"
    )
    b = HttpdConfig(Httpd(config=config, paths=(("/opt/pki/", "pki"),)), sandbox)
    out = b.rewrite(config)
    https, http = b.ports[443], b.ports[80]
    lines = out.split("\n")
    assert len(lines) == len(config.split("\n"))
    assert lines[0] == f"Listen 127.0.0.1:{https} https"
    assert lines[1].startswith("# faqkb: already listening")  # same live ip:port twice
    assert lines[2] == f"Listen 127.0.0.1:{http} http"
    assert lines[3] == f"<VirtualHost _default_:{https} 127.0.0.1:{https}>"
    assert lines[4].strip() == f"ServerName www.example.com:{https}"
    assert lines[5].strip() == f"SSLCertificateFile {sandbox}/server.crt"
    assert lines[6].strip() == f'SSLCertificateChainFile "{sandbox}/chain.crt"'
    assert lines[7].strip() == f"DocumentRoot {sandbox}/htdocs"
    assert lines[8].strip() == f"ScriptAlias /cgi-bin/ {sandbox}/cgi-bin/"
    assert lines[9].strip() == f"CustomLog {sandbox}/logs/ssl_request_log common"
    assert lines[10].strip() == f"SSLPassPhraseDialog exec:{sandbox}/passphrase.sh"
    assert lines[11].strip() == f"Redirect / https://localhost:{https}/"
    assert lines[12].strip() == f"SSLCACertificateFile {sandbox}/pki/root.pem"
    assert lines[13].strip() == f"Include {sandbox}/extra/ssl.conf"
    assert lines[14].strip() == "Alias /mine /var/www/htmlish"  # a prefix only at a path boundary
    assert lines[16] == f"<VirtualHost *:{http}>"
    assert b.listened == {https, http}


def test_prepare_writes_private_config_files_and_wrappers(sandbox: Path) -> None:
    spec = Httpd(config=vhost(), modules=("cgid", "mod_headers", "log_config"),
                 files=(("cgi-bin/env.cgi", CGI), ("/usr/local/bin/pp.sh", "#!/bin/sh\necho x\n"),
                        ("htdocs/note.txt", "hello")))
    values, env = HttpdProcess(spec, sandbox).prepare()
    port = values["port"]
    assert values == {"server": f"localhost:{port}", "host": "localhost", "port": port,
                      "url": f"https://localhost:{port}/"}
    assert env["PATH"].startswith(f"{sandbox}/bin:")
    base = (sandbox / "conf" / "httpd.conf").read_text()
    assert f'ServerRoot "{sandbox}"' in base and f"Mutex file:{sandbox}/run default" in base
    assert "LoadModule cgid_module" in base and "log_config_module" not in base  # built in
    assert base.count("LoadModule headers_module") == 1
    assert f'Include "{sandbox}/conf/entry.conf"' in base
    # httpd's default LogLevel (warn): what an entry finds in the log is what a reader's logs
    assert "LogLevel" not in base
    for name, mode in (("cgi-bin/env.cgi", 0o755), ("pp.sh", 0o755), ("htdocs/note.txt", 0o644),
                       ("bin/apachectl", 0o755), ("bin/httpd", 0o755)):
        assert (sandbox / name).stat().st_mode & 0o777 == mode, name
    assert sandbox.stat().st_mode & 0o777 == 0o755


def test_the_commands_of_an_httpd_entry_get_faqkb_tools_path_too(sandbox: Path, monkeypatch) -> None:
    # make matrix's OpenSSL must be the one an httpd entry's s_client runs, after the wrappers.
    monkeypatch.setenv("FAQKB_TOOLS_PATH", "/opt/openssl-3.5/faqkb-bin")
    _, env = HttpdProcess(Httpd(config=vhost()), sandbox).prepare()
    assert env["PATH"].startswith(f"{sandbox}/bin:/opt/openssl-3.5/faqkb-bin:/usr/local/sbin:"), env


def test_prepare_refuses_what_it_cannot_serve(sandbox: Path, tmp_path: Path) -> None:
    with pytest.raises(HttpdError, match="mod_nosuch"):
        HttpdProcess(Httpd(config="", modules=("nosuch",)), sandbox).prepare()
    with pytest.raises(HttpdError, match="leaves the sandbox"):
        HttpdProcess(Httpd(config="", files=(("../x", ""),)), sandbox).prepare()
    with pytest.raises(HttpdError, match="no known reader path"):
        HttpdProcess(Httpd(config="", files=(("/opt/x", ""),)), sandbox).prepare()
    # pytest's own tmp dirs sit under a 0700 directory nobody cannot search.
    if any(not p.stat().st_mode & 0o001 for p in tmp_path.parents):
        with pytest.raises(HttpdError, match="not searchable by others"):
            HttpdProcess(Httpd(config=""), tmp_path).prepare()


# ------------------------------------------------------------------ the real httpd
@needs_httpd
def test_version_is_2_4() -> None:
    assert httpd_version().startswith("2.4.")


@needs_httpd
def test_minimal_ssl_vhost_serves_the_page_and_logs(sandbox: Path, curl) -> None:
    # AH01964 is an info message: the base config logs at httpd's default warn.
    with HttpdProcess(Httpd(config="LogLevel info\n" + vhost()), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        mark = b.log_mark()
        r = curl(sandbox, values["url"])
        assert r.returncode == 0, r.stderr
        assert "It works!" in r.stdout
        assert "AH01964: Connection to child" in b.log_since(mark)
        loaded = b.config.loaded_config()
        assert f"SSLCertificateFile {sandbox}/server.crt" in loaded
        assert "/etc/ssl/certs" not in loaded
        assert "AH00489" in b.config.error_log.read_text()  # "configured -- resuming normal operations"
        assert httpd_processes(b)
    assert httpd_processes(b) == []
    b.stop()  # idempotent


@needs_httpd
def test_misspelled_directive_is_httpds_own_error_on_the_readers_line(sandbox: Path) -> None:
    config = vhost().replace("SSLEngine on", "SSLEngin on")
    b = HttpdProcess(Httpd(config=config), sandbox)
    b.prepare()
    with pytest.raises(HttpdError) as err:
        b.start()
    msg = str(err.value)
    assert "AH00526" in msg and "Invalid command 'SSLEngin'" in msg
    assert "entry.conf" in msg
    assert err.value.entry_line == 4 == config.split("\n").index("    SSLEngin on") + 1
    assert httpd_processes(b) == []


@needs_httpd
def test_stdenvvars_cgi_sees_ssl_variables(sandbox: Path, curl) -> None:
    extra = ("    ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/\n"
             "    <Directory /usr/lib/cgi-bin>\n        SSLOptions +StdEnvVars\n    </Directory>\n")
    spec = Httpd(config=vhost(extra), modules=("cgid",),
                 files=(("/usr/lib/cgi-bin/env.cgi", CGI),))
    with HttpdProcess(spec, sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        r = curl(sandbox, values["url"] + "cgi-bin/env.cgi")
    assert r.returncode == 0, r.stderr
    assert "SSL_PROTOCOL=TLSv1.3" in r.stdout
    assert "SSL_CIPHER=TLS_" in r.stdout


@needs_httpd
def test_no_shared_cipher_fails_and_is_logged(sandbox: Path, curl) -> None:
    extra = ("    SSLProtocol -all +TLSv1.2\n"
             "    SSLCipherSuite ECDHE-ECDSA-AES256-GCM-SHA384\n")
    with HttpdProcess(Httpd(config="LogLevel info\n" + vhost(extra)), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        mark = b.log_mark()
        r = curl(sandbox, values["url"], "--tls-max", "1.2",
                 "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")
        # httpd logs the failure after curl has seen the alert: on a busy machine, later.
        deadline = time.monotonic() + 5
        while "no shared cipher" not in (log := b.log_since(mark)) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert r.returncode != 0
    assert "no shared cipher" in log
    assert "AH02008" in log or "SSL Library Error" in log


@needs_httpd
def test_vhost_error_log_is_read_too(sandbox: Path, curl) -> None:
    extra = "    ErrorLog /var/log/apache2/ssl_error_log\n"
    with HttpdProcess(Httpd(config="LogLevel info\n" + vhost(extra)), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        mark = b.log_mark()
        curl(sandbox, values["url"])
        log = b.log_since(mark)
    assert "AH01964" in log
    assert "AH01964" in (sandbox / "logs" / "ssl_error_log").read_text()


@needs_httpd
def test_plain_http_to_the_https_port(sandbox: Path, run_tool) -> None:
    with HttpdProcess(Httpd(config=vhost()), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        r = run_tool(["curl", "-sS", "--max-time", "20", f"http://localhost:{values['port']}/"],
                     cwd=sandbox, timeout=30)
    assert "You're speaking plain HTTP to an SSL-enabled server port" in r.stdout
    assert "400 Bad Request" in r.stdout


@needs_httpd
def test_second_plain_http_listener(sandbox: Path, run_tool) -> None:
    config = "Listen 80\n<VirtualHost *:80>\n    Redirect / https://localhost/\n</VirtualHost>\n"
    with HttpdProcess(Httpd(config=config + vhost()), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        r = run_tool(["curl", "-sS", "-L", "--max-time", "20", "--cacert", "ca.crt",
                      values["http_url"]], cwd=sandbox, timeout=30)
    assert values["http_url"] == f"http://localhost:{values['http_port']}/"
    assert r.returncode == 0, r.stderr
    assert "It works!" in r.stdout


@needs_httpd
def test_builtin_pass_phrase_dialog_is_fed(sandbox: Path, leaf: trustme.LeafCert, curl) -> None:
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    (sandbox / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    with HttpdProcess(Httpd(config=vhost(), passphrase="secret"), sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        r = curl(sandbox, values["url"])
    assert "It works!" in r.stdout
    assert "Pass Phrase Dialog successful" in (sandbox / "logs" / "startup.out").read_text()


@needs_httpd
def test_key_mismatch_fails_start_with_httpds_message(sandbox: Path, ca: trustme.CA) -> None:
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(sandbox / "server.key"))
    b = HttpdProcess(Httpd(config=vhost()), sandbox, timeout=20)
    b.prepare()
    with pytest.raises(HttpdError, match=r"AH02565: Certificate and private key .* do not match"):
        b.start()
    assert httpd_processes(b) == []


def exec_dialog_spec(sandbox: Path, leaf: trustme.LeafCert, helper: str) -> Httpd:
    """The leaf's key encrypted with "secret", and an exec: pass phrase dialog running ``helper``."""
    key = serialization.load_pem_private_key(leaf.private_key_pem.bytes(), None)
    (sandbox / "server.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")))
    config = "SSLPassPhraseDialog exec:/usr/local/bin/passphrase.sh\n" + vhost()
    return Httpd(config=config, files=(("/usr/local/bin/passphrase.sh", f"#!/bin/sh\n{helper}\n"),))


@needs_httpd
def test_start_timeout_leaves_nothing_behind(sandbox: Path, leaf: trustme.LeafCert) -> None:
    # An exec: pass phrase helper that never answers keeps httpd in its start-up.
    spec = exec_dialog_spec(sandbox, leaf, "exec sleep 60")
    b = HttpdProcess(spec, sandbox, timeout=1.0)
    b.prepare()
    with pytest.raises(HttpdError, match="did not accept connections"):
        b.start()
    assert httpd_processes(b) == []


@needs_httpd
def test_exec_pass_phrase_helper(sandbox: Path, leaf: trustme.LeafCert, curl) -> None:
    spec = exec_dialog_spec(sandbox, leaf, "echo secret")
    with HttpdProcess(spec, sandbox, timeout=20) as b:
        values, _ = b.prepare()
        b.start()
        assert "It works!" in curl(sandbox, values["url"]).stdout


@needs_httpd
def test_apachectl_started_by_a_command_is_stopped(sandbox: Path, run_tool, curl) -> None:
    b = HttpdProcess(Httpd(config=vhost(), expect_start=False), sandbox, timeout=20)
    values, env = b.prepare()
    try:
        r = run_tool(["sh", "-c", "apachectl configtest"], cwd=sandbox, timeout=30, env=env)
        assert r.returncode == 0 and "Syntax OK" in r.stderr
        r = run_tool(["sh", "-c", "apachectl -k start"], cwd=sandbox, timeout=30, env=env)
        assert r.returncode == 0, r.stderr
        # "-k start" daemonizes; the page answers once it is up (curl retries refused connects).
        r = curl(sandbox, values["url"], "--retry", "50", "--retry-connrefused",
                 "--retry-delay", "0")
        assert "It works!" in r.stdout
        r = run_tool(["sh", "-c", "apachectl start"], cwd=sandbox, timeout=30, env=env)
        assert "already running" in r.stdout + r.stderr
        assert httpd_processes(b)
    finally:
        b.stop()
    assert httpd_processes(b) == []


@needs_httpd
def test_failing_apachectl_start_shows_httpds_error(sandbox: Path, ca: trustme.CA, run_tool) -> None:
    ca.issue_cert("other.example").private_key_pem.write_to_path(str(sandbox / "server.key"))
    with HttpdProcess(Httpd(config=vhost(), expect_start=False), sandbox) as b:
        _, env = b.prepare()
        mark = b.log_mark()
        r = run_tool(["sh", "-c", "apachectl start"], cwd=sandbox, timeout=30, env=env)
        assert r.returncode != 0
        # "-k start" has detached by then: like a reader, we find httpd's reason in the log.
        log = b.log_since(mark)
        assert "AH02565" in log and "AH00016: Configuration Failed" in log
    assert httpd_processes(b) == []


@needs_httpd
def test_two_backends_in_parallel(ca: trustme.CA, leaf: trustme.LeafCert, curl) -> None:
    boxes = []
    try:
        for _ in (1, 2):
            sb = Path(tempfile.mkdtemp(prefix="faqkb-httpd-test-"))
            boxes.append(sb)
            leaf.private_key_pem.write_to_path(str(sb / "server.key"))
            leaf.cert_chain_pems[0].write_to_path(str(sb / "server.crt"))
            ca.cert_pem.write_to_path(str(sb / "ca.crt"))
        spec = [Httpd(config=vhost(), files=(("htdocs/index.html", f"server {n}\n"),))
                for n in (1, 2)]
        with HttpdProcess(spec[0], boxes[0]) as one, HttpdProcess(spec[1], boxes[1]) as two:
            v1, _ = one.prepare()
            v2, _ = two.prepare()
            one.start()
            two.start()
            assert v1["port"] != v2["port"]
            assert curl(boxes[0], v1["url"]).stdout == "server 1\n"
            assert curl(boxes[1], v2["url"]).stdout == "server 2\n"
            one.stop()
            assert curl(boxes[1], v2["url"]).stdout == "server 2\n"
        assert httpd_processes(one) == [] and httpd_processes(two) == []
    finally:
        for sb in boxes:
            shutil.rmtree(sb, ignore_errors=True)
