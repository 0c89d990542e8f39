"""No private key is published, however a command prints it: every built artifact is scanned
(pages, Material's index, the offline index, JUnit, --json, the terminal)."""

from __future__ import annotations

import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from faqkb.httpd.process import httpd_available
from tests.kbutil import MINIMAL, make_project

# A key body line: 40+ base64 characters on a line of their own (after any indentation).
KEY_BODY = re.compile(r"^[ \t]*[A-Za-z0-9+/]{40,}={0,2}\r?$", re.MULTILINE)
HEX_SECRET = re.compile(r"(privateExponent|prime1|priv):\s*\n\s+[0-9a-f]{2}:[0-9a-f]{2}:")

ENTRY = MINIMAL.format(id="keys") + """\
commands:
  - title: plain
    fixtures: [server]
    run: cat server.key
  - title: CRLF line ends
    fixtures: [server]
    run: sed 's/$/\\r/' server.key
  - title: indented
    fixtures: [server]
    run: sed 's/^/  /' server.key
  - title: on stderr, page shows stdout only
    fixtures: [server]
    run: cat server.key >&2; echo done
    show: stdout
  - title: traditional RSA
    fixtures: [server]
    run: openssl pkey -in server.key -traditional
  - title: text form
    fixtures: [server]
    run: openssl pkey -in server.key -text -noout
  - title: cut before its END line
    fixtures: [server]
    run: head -c 900 server.key
  - title: a failing command shows its output tail
    fixtures: [server]
    run: cat server.key; exit 3
"""


def _leaks(text: str) -> list[str]:
    return [m.group(0)[:60] for m in KEY_BODY.finditer(text)] + [m.group(0) for m in HEX_SECRET.finditer(text)]


@pytest.mark.skipif(httpd_available() is not None, reason="the site build runs httpd entries too")
def test_no_artifact_holds_a_private_key(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"keys": ENTRY})
    build = faqkb(project, "build")
    assert build.returncode == 0, build.stderr
    verify = faqkb(project, "verify", "--no-cache", "--json", "--junit", "j.xml")
    assert verify.returncode == 1  # the last command fails on purpose, with its output tail
    term = faqkb(project, "verify", "--no-cache")
    tried = faqkb(project, "try", "keys")
    found = faqkb(project, "search", "private", "key", "cut", "-n", "3")
    assert found.returncode == 0 and "keys" in found.stdout
    ET.parse(project / "j.xml")  # well-formed
    artifacts = {str(p.relative_to(project)): p.read_text(errors="replace")
                 for p in [*(project / "site").rglob("*"), *(project / ".faqkb-cache").rglob("*.json"),
                           project / "j.xml"] if p.is_file() and p.suffix in (".html", ".json", ".xml")}
    with sqlite3.connect(project / ".faqkb-cache" / "search.sqlite") as db:
        artifacts["search.sqlite"] = "\n".join(str(v) for row in db.execute("SELECT * FROM entries")
                                               for v in row)
    for name, res in (("verify --json", verify), ("verify", term), ("try", tried), ("search", found)):
        artifacts[name] = res.stdout + res.stderr
    assert "[private key redacted]" in artifacts["site/faq/keys/index.html"]
    leaking = {name: _leaks(text) for name, text in artifacts.items() if _leaks(text)}
    assert not leaking, leaking
