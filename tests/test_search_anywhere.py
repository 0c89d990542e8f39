"""`faqkb search` anywhere: an installed wheel's shipped index, exported indexes, plain notes
for unverified or stale ones, decoded error codes, and what a hit and `faqkb show` print."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from pathlib import Path

import pytest

from faqkb.search import vectors
from faqkb.search.schema import SHIPPED
from tests.kbutil import MINIMAL, build_wheel_venv, copy_tree, make_project, run_faqkb, tool_env

ALPHA = MINIMAL.format(id="alpha").replace("What is alpha?", "Why does the handshake fail?") + """\
commands:
  - run: "echo 'error:0A0000C1:SSL routines::no shared cipher' >&2; exit 1"
    expect: {exit: nonzero}
"""
BETA = MINIMAL.format(id="beta").replace("What is beta?", "How do I convert a certificate to DER?")
PASS = MINIMAL.format(id="gamma").replace("What is gamma?", "Why does httpd ask at start-up?").replace(
    "An answer.", "httpd cannot read the key's pass phrase without a terminal.")


def test_installed_wheel_searches_its_shipped_index_from_an_empty_folder(
        verified_kb, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    kb = copy_tree(verified_kb.path, tmp_path / "kb")

    def make_index(src: Path) -> None:  # what `make wheel` does before building the wheel
        res = run_faqkb(kb, "index", "--out", str(src / "faqkb/search/shipped/search.sqlite"), home=home)
        assert res.returncode == 0, res.stderr
        assert "run `faqkb verify` first" not in res.stderr  # the verified output is in it

    bin_dir = build_wheel_venv(tmp_path_factory.mktemp("wheel-index"), make_index)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = tool_env(home, {"PATH": f"{bin_dir}:/usr/bin:/bin"})
    env.pop("PYTHONPATH", None)
    import subprocess

    def faqkb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(bin_dir / "faqkb"), *args], cwd=empty, env=env, capture_output=True,
                              text=True, timeout=120, start_new_session=True, check=False)

    res = faqkb("search", "--json", "-n", "3", "no shared cipher")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)[0]["id"] == "cipher-shared"
    assert res.stderr == ""  # nothing to warn about: verified, fresh
    # an OpenSSL 1.x code finds the entry that reproduced the same reason on OpenSSL 3
    old = faqkb("search", "--json", "-n", "3", "error:1408A0C1")
    assert old.returncode == 0 and "cipher-shared" in [h["id"] for h in json.loads(old.stdout)]
    show = faqkb("show", "cipher-shared")
    assert show.returncode == 0 and "  $ " in show.stdout and "no shared cipher" in show.stdout
    assert list(empty.iterdir()) == []  # a lookup writes nothing where it runs
    # the shipped index carries the entries' meaning vectors and the tokenizer's tables
    [shipped] = bin_dir.parent.glob("lib/python*/site-packages/faqkb/search/shipped/search.sqlite")
    with contextlib.closing(sqlite3.connect(shipped)) as db:
        assert db.execute("SELECT value FROM info WHERE key = 'vectors'").fetchone() == (vectors.MODEL,)
        entries = db.execute("SELECT count(*) FROM meta").fetchone()[0]
        assert db.execute("SELECT count(*) FROM vectors").fetchone()[0] == entries > 60


def test_unverified_project_says_so_and_verify_fixes_it(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    res = faqkb(project, "search", "handshake")
    assert res.returncode == 0
    assert "1 of 1 entries with commands have no verified output" in res.stderr
    assert "run `faqkb verify`, then search again" in res.stderr
    assert faqkb(project, "verify").returncode == 0
    again = faqkb(project, "search", "handshake")
    assert again.returncode == 0 and again.stderr == ""


def test_exported_index_by_flag_or_env_and_stale_note(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "p", {"alpha": ALPHA, "beta": BETA})
    assert faqkb(project, "verify").returncode == 0
    out = tmp_path / "kb.sqlite"
    exp = faqkb(project, "index", "--out", str(out))
    assert exp.returncode == 0 and "1 of 1 entries with commands have verified output" in exp.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for args, env in ((["--index", str(out)], None), ([], {"FAQKB_INDEX": str(out)})):
        res = faqkb(elsewhere, "search", *args, "convert", "DER", "--json", env=env)
        assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "beta", res.stderr
        assert res.stderr == ""
    entry = project / "docs" / "faq" / "beta.yml"
    entry.write_text(BETA + "aliases: [x]\n")
    later = os.stat(out).st_mtime + 5
    os.utime(entry, (later, later))
    stale = faqkb(elsewhere, "search", "--index", str(out), "convert")
    assert stale.returncode == 0
    assert f"{out} is older than the entries in {project / 'docs' / 'faq'}" in stale.stderr
    assert f"faqkb index --out {out}" in stale.stderr
    missing = faqkb(elsewhere, "search", "x", env={"FAQKB_INDEX": str(tmp_path / "none.sqlite")})
    assert missing.returncode == 2 and "no search index there" in missing.stderr
    assert "faqkb index --out" in missing.stderr


def test_index_out_never_replaces_a_file_it_did_not_write(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "p", {"beta": BETA})
    mine = tmp_path / "notes.sqlite"
    mine.write_text("my notes\n")
    res = faqkb(project, "index", "--out", str(mine))
    assert res.returncode == 2 and "is not a faqkb search index" in res.stderr
    assert mine.read_text() == "my notes\n"


def test_no_kb_and_no_shipped_index_says_what_to_do(tmp_path: Path, faqkb) -> None:
    if SHIPPED.is_file():
        pytest.skip("this checkout holds a shipped index (make wheel ran here)")
    res = faqkb(tmp_path, "search", "anything")
    assert res.returncode == 2 and "no knowledge base here" in res.stderr and "--index FILE" in res.stderr


def test_openssl_1x_code_finds_the_entry_that_reproduced_it_on_3(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    assert faqkb(project, "verify").returncode == 0
    # 1.x: lib 20 << 24 | function 0x08A << 12 | reason 0xC1; the entry printed 3.x's 0A0000C1
    for query in ("error:1408A0C1:SSL routines:ssl3_get_client_hello:", "1408A0C1"):
        res = faqkb(project, "search", query, "--json")
        assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "alpha", (query, res.stderr)


def test_bare_codes_bring_their_text(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"gamma": PASS, "beta": BETA})
    # AH02578 is nowhere in the entry: its text comes from the installed httpd's binaries
    res = faqkb(project, "search", "AH02578", "--json")
    if not any(Path(p).exists() for p in ("/usr/lib/apache2/modules/mod_ssl.so", "/usr/lib64/httpd/modules")):
        pytest.skip("no httpd installed")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "gamma", res.stderr


def test_json_hits_carry_refs_and_url_and_terminal_shows_the_answer(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text() + "site_url: https://kb.example/docs/\n")
    res = faqkb(project, "search", "convert", "DER", "--json")
    hit = json.loads(res.stdout)[0]
    assert set(hit) == {"id", "question", "section", "score", "refs", "url", "snippet"}
    assert hit["refs"] == ["beta"] and hit["url"] == "https://kb.example/docs/faq/beta/"
    assert "[DER]" in hit["snippet"]
    text = faqkb(project, "search", "convert", "DER")
    assert text.stdout.startswith("1. How do I convert a certificate to DER?\n")
    assert "   | An answer.\n" in text.stdout and "https://kb.example/docs/faq/beta/" in text.stdout
    assert "\x1b" not in text.stdout  # piped: plain text


def test_show_prints_the_verified_transcript_and_escapes_control_characters(tmp_path: Path, faqkb) -> None:
    hostile = ALPHA.replace("question: Why does the handshake fail?", 'question: "Why does the \\e[2J handshake fail?"')
    project = make_project(tmp_path, {"alpha": hostile, "beta": BETA})
    before = faqkb(project, "show", "alpha")
    assert "(not verified yet: run `faqkb verify`)" in before.stdout
    assert faqkb(project, "verify").returncode == 0
    res = faqkb(project, "show", "alpha")
    assert res.returncode == 0, res.stderr
    assert "  $ echo 'error:0A0000C1:SSL routines::no shared cipher' >&2; exit 1\n" \
           "  error:0A0000C1:SSL routines::no shared cipher" in res.stdout
    assert "\x1b" not in res.stdout and "\\x1b[2J" in res.stdout
    doc = json.loads(faqkb(project, "show", "alpha", "--json").stdout)
    assert doc["transcripts"][0]["output"].strip() == "error:0A0000C1:SSL routines::no shared cipher"
    unknown = faqkb(project, "show", "alpah")
    assert unknown.returncode == 2 and "did you mean 'alpha'?" in unknown.stderr
