"""The runner with the httpd backend: real Apache httpd 2.4 behind an entry's commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from faqkb.httpd.process import httpd_available
from tests.kbutil import MINIMAL, https_vhost, make_project, processes_matching

pytestmark = pytest.mark.skipif(httpd_available() is not None, reason=str(httpd_available()))

ENTRY = MINIMAL.format(id="envvars") + https_vhost("""\
ScriptAlias /cgi-bin/ /usr/lib/cgi-bin/
<Location /cgi-bin/>
    SSLOptions +StdEnvVars
</Location>""", head="  modules: [cgid]\n") + """\
  files:
    /usr/lib/cgi-bin/env.cgi: |
      #!/bin/sh
      printf 'Content-Type: text/plain\\n\\n'
      env | grep '^SSL_' | sort
commands:
  - fixtures: [ca]
    scenario: httpd
    run: curl -sS --cacert ca.crt {{ url }}cgi-bin/env.cgi
    expect:
      stdout: ['^SSL_PROTOCOL=TLSv1\\.[23]$', '^SSL_CIPHER=']
      server_log_not: ['AH00526']
"""


def _apache_processes(entry_id: str) -> list[str]:
    """httpd processes of this test's entry (tests run in parallel: each uses its own id)."""
    return processes_matching(f"faqkb-{entry_id}-", "apache2")


def test_httpd_entry_verifies_and_renders_config(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"envvars": ENTRY})
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert json.loads(res.stdout)["commands"][0]["status"] == "passed"
    assert _apache_processes("envvars") == []
    out = tmp_path / "out"
    rendered = faqkb(project, "render", "--out", str(out))
    assert rendered.returncode == 0, rendered.stderr
    page = (out / "faq" / "envvars.md").read_text()
    assert "SSLCertificateFile /etc/ssl/certs/fullchain.crt" in page  # what a reader writes
    assert "SSL_PROTOCOL=TLSv1." in page  # what the CGI really printed
    assert "Run in Apache httpd 2.4" in page


def test_wrong_directive_fails_with_httpds_message(tmp_path: Path, faqkb) -> None:
    bad = ENTRY.replace("SSLEngine on", "SSLEngin on").replace("envvars", "misspelt")
    project = make_project(tmp_path, {"misspelt": bad})
    res = faqkb(project, "verify")
    assert res.returncode == 1
    assert "Invalid command 'SSLEngin'" in res.stderr
    assert "entry 'misspelt', command 1 FAILED" in res.stderr
    assert _apache_processes("misspelt") == []


def test_without_httpd_commands_are_unverified_and_strict_fails(tmp_path: Path, faqkb, mkdocs) -> None:
    project = make_project(tmp_path, {"envvars": ENTRY})
    env = {"FAQKB_APACHE2": str(tmp_path / "no-apache2")}
    res = faqkb(project, "verify", env=env)
    assert res.returncode == 1
    assert "command 1 UNVERIFIED" in res.stderr and "apache2 not installed" in res.stderr
    build = mkdocs(project, "build", env=env)
    assert build.returncode == 0
    assert "apache2 not installed" in build.stderr
    page = (project / "site" / "faq" / "envvars" / "index.html").read_text()
    assert "Not verified: apache2 not installed" in page
    assert "Not verified: no Apache httpd was available in this build." in page
    strict = mkdocs(project, "build", "--strict", env=env)
    assert strict.returncode != 0


def test_an_httpd_block_this_machine_cannot_run_fails_cleanly(tmp_path: Path, faqkb) -> None:
    entry = MINIMAL.format(id="nomod") + (
        "httpd:\n  modules: [nosuchmodule]\n  config: |\n    Listen 443\n"
        "commands:\n  - run: 'true'\n    scenario: httpd\n")
    project = make_project(tmp_path, {"nomod": entry})
    res = faqkb(project, "verify")
    assert res.returncode == 1 and "Traceback" not in res.stderr, res.stderr
    assert "command 1 FAILED" in res.stderr and "no module 'nosuchmodule'" in res.stderr


SECOND_PORT = MINIMAL.format(id="twoports") + https_vhost(head="  modules: [headers]\n") + """\
    Listen 8443
    <VirtualHost *:8443>
        SSLEngine on
        SSLCertificateFile /etc/ssl/certs/fullchain.crt
        SSLCertificateKeyFile /etc/ssl/private/server.key
        Header always set X-Port eight
    </VirtualHost>
commands:
  - fixtures: [ca]
    scenario: httpd
    run: curl -sS -o /dev/null -D - --cacert ca.crt https://localhost:{{ port_8443 }}/ | grep -i '^x-port'
    expect:
      stdout: ['^(?i:x-port): eight']
  - fixtures: [ca]
    scenario: httpd
    run: |
      curl -sS -o /dev/null -w '%{url_effective}\\n' --cacert ca.crt https://localhost:{{ port_8443 }}/
    expect:
      stdout: ['^https://localhost:8443/$']  # the live port, read back as the reader's
"""


def test_a_second_port_is_reached_with_port_n(tmp_path: Path, faqkb) -> None:
    """``{{ port_8443 }}``: the live port httpd got for ``Listen 8443``; the page says 8443."""
    project = make_project(tmp_path, {"twoports": SECOND_PORT})
    res = faqkb(project, "verify", "--json")
    assert res.returncode == 0, res.stdout + res.stderr
    assert [c["status"] for c in json.loads(res.stdout)["commands"]] == ["passed", "passed"]
    out = tmp_path / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0
    page = (out / "faq" / "twoports.md").read_text()
    assert "curl -sS -o /dev/null -D - --cacert ca.crt https://localhost:8443/ | grep -i" in page


@pytest.mark.parametrize(("run", "message"), [
    ("curl https://localhost:{{ port_9443 }}/",
     "{{ port_9443 }}: the entry's httpd config does not listen on port 9443; add `Listen 9443`"),
    ("curl https://localhost:{{ port_443 }}/", "{{ port_443 }}: write {{ port }} for port 443"),
])
def test_port_n_must_name_a_port_the_config_listens_on(tmp_path: Path, faqkb, run: str, message: str) -> None:
    text = SECOND_PORT.replace(
        "curl -sS -o /dev/null -D - --cacert ca.crt https://localhost:{{ port_8443 }}/ | grep -i '^x-port'", run)
    project = make_project(tmp_path, {"twoports": text})
    res = faqkb(project, "lint")
    assert res.returncode == 2
    assert message in res.stderr and "Traceback" not in res.stderr
