"""Offline search: the index holds entries and the output their commands really produced."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from faqkb.search.query import fts_query, terms
from tests.kbutil import MINIMAL, REPO, make_project

ALPHA = MINIMAL.format(id="alpha").replace("What is alpha?", "Why does the handshake fail?") + """\
aliases: ["SSL_ERROR_NO_CYPHER_OVERLAP"]
commands:
  - run: "echo 'error:0A0000C1:SSL routines::no shared cipher' >&2; exit 1"
    expect: {exit: nonzero}
"""
BETA = MINIMAL.format(id="beta").replace("What is beta?", "How do I convert a certificate to DER?")


def faqkb_search(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    launch = "import sys; from faqkb.integrations.launch import run; sys.argv = ['faqkb', 'search', *sys.argv[1:]]; run()"
    return subprocess.run([sys.executable, "-c", launch, *args], cwd=project, capture_output=True,
                          text=True, timeout=120, check=False, env={**os.environ, "NO_COLOR": "1"})


def test_terms_and_query() -> None:
    assert terms("How do I get rid of the pass-phrase?") == ["rid", "pass", "phrase"]
    assert fts_query(["shared", "cipher"]) == '"shared" OR "cipher"*'


def test_pasted_error_line_finds_the_entry_that_reproduced_it(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    verify = subprocess.run([sys.executable, "-m", "faqkb", "verify"], cwd=project,
                            capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0, verify.stderr
    # "0A0000C1" appears only in the output the command really printed
    res = faqkb_search(project, "error:0A0000C1", "--json")
    assert res.returncode == 0, res.stderr
    hits = json.loads(res.stdout)
    assert hits[0]["id"] == "alpha" and hits[0]["question"] == "Why does the handshake fail?"
    text = faqkb_search(project, "convert", "certificates")
    assert text.returncode == 0 and text.stdout.startswith("1. How do I convert a certificate to DER?")
    assert "faqkb show beta" in text.stdout


def test_no_match_exit_1_and_index_follows_edits(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    miss = faqkb_search(project, "zebra")
    assert miss.returncode == 1 and "No entry matches" in miss.stderr
    (project / "docs" / "faq" / "beta.yml").write_text(BETA.replace("to DER", "to zebra DER"))
    hit = faqkb_search(project, "zebra", "--json")
    assert hit.returncode == 0 and json.loads(hit.stdout)[0]["id"] == "beta"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA})
    assert faqkb_search(project).returncode == 2
    assert faqkb_search(project, "x", "-n", "0").returncode == 2


def test_search_path_imports_nothing_heavy(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA})
    faqkb_search(project, "warm", "up")  # builds the index
    code = ("import sys; from faqkb.integrations.launch import run; sys.argv = ['faqkb', 'search', 'handshake']\n"
            "try:\n    run()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('click', 'jinja2', 'jsonschema', 'mkdocs', 'cryptography')"
            " if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_real_kb_finds_no_shared_cipher() -> None:
    res = faqkb_search(REPO, "no shared cipher", "-n", "1", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "cipher-shared"


def test_hyphenated_words_are_found_joined(tmp_path: Path) -> None:
    gamma = MINIMAL.format(id="gamma").replace("What is gamma?", "How do I remove the pass-phrase?")
    project = make_project(tmp_path, {"gamma": gamma, "beta": BETA})
    res = faqkb_search(project, "passphrase", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "gamma"
