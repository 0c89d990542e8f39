"""Offline search: the index holds entries and the output their commands really produced."""

from __future__ import annotations

import json
from pathlib import Path

from faqkb.search.query import fts_query, terms
from tests.kbutil import MINIMAL, copy_tree, make_project

ALPHA = MINIMAL.format(id="alpha").replace("What is alpha?", "Why does the handshake fail?") + """\
aliases: ["SSL_ERROR_NO_CYPHER_OVERLAP"]
commands:
  - run: "echo 'error:0A0000C1:SSL routines::no shared cipher' >&2; exit 1"
    expect: {exit: nonzero}
"""
BETA = MINIMAL.format(id="beta").replace("What is beta?", "How do I convert a certificate to DER?")


def test_terms_and_query() -> None:
    assert terms("How do I get rid of the pass-phrase?") == ["rid", "pass", "phrase"]
    assert fts_query(["shared", "cipher"]) == '"shared" OR "cipher"*'


def test_pasted_error_line_finds_the_entry_that_reproduced_it(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    verify = faqkb(project, "verify")
    assert verify.returncode == 0, verify.stderr
    # "0A0000C1" appears only in the output the command really printed
    res = faqkb(project, "search", "error:0A0000C1", "--json")
    assert res.returncode == 0, res.stderr
    hits = json.loads(res.stdout)
    assert hits[0]["id"] == "alpha" and hits[0]["question"] == "Why does the handshake fail?"
    text = faqkb(project, "search", "convert", "certificates")
    assert text.returncode == 0 and text.stdout.startswith("1. How do I convert a certificate to DER?")
    assert "faqkb show beta" in text.stdout


def test_no_match_exit_1_and_index_follows_edits(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    miss = faqkb(project, "search", "zebra")
    assert miss.returncode == 1 and "No entry matches" in miss.stderr
    (project / "docs" / "faq" / "beta.yml").write_text(BETA.replace("to DER", "to zebra DER"))
    hit = faqkb(project, "search", "zebra", "--json")
    assert hit.returncode == 0 and json.loads(hit.stdout)[0]["id"] == "beta"


def test_usage_errors_exit_2(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA})
    assert faqkb(project, "search").returncode == 2
    assert faqkb(project, "search", "x", "-n", "0").returncode == 2


def test_search_path_imports_nothing_heavy(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA})
    faqkb(project, "search", "warm", "up")  # builds the index
    # -X importtime: Python itself lists every module the process imported, on stderr.
    res = faqkb(project, "search", "handshake", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert res.returncode == 0, res.stderr
    imported = {ln.rsplit("|", 1)[1].strip() for ln in res.stderr.splitlines() if ln.startswith("import time:")}
    assert "faqkb.integrations.search_cmd" in imported  # the fast path, through `python -m faqkb`
    heavy = ("click", "jinja2", "jsonschema", "mkdocs", "cryptography",
             # what made a lookup slow before: none of it is needed to answer
             "argparse", "dataclasses", "inspect", "typing", "tempfile", "hashlib", "yaml",
             # the embedding model's own stack: faqkb reads its files without it
             "wordllama", "numpy", "tokenizers", "safetensors", "pydantic")
    assert sorted(m for m in imported if m.split(".")[0] in heavy) == []
    assert "faqkb.search.vectors" in imported  # and the lookup did re-rank by meaning


def test_real_kb_finds_no_shared_cipher(verified_kb, tmp_path: Path, faqkb) -> None:
    project = copy_tree(verified_kb.path, tmp_path / "kb")  # the index is written beside the results
    res = faqkb(project, "search", "no shared cipher", "-n", "1", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "cipher-shared"


def test_hyphenated_words_are_found_joined(tmp_path: Path, faqkb) -> None:
    gamma = MINIMAL.format(id="gamma").replace("What is gamma?", "How do I remove the pass-phrase?")
    project = make_project(tmp_path, {"gamma": gamma, "beta": BETA})
    res = faqkb(project, "search", "passphrase", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "gamma"


def test_typos_find_the_word_meant(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    # "certficate" (a letter left out), "hadnshake" (two letters swapped)
    for query, want in (("certficate", "beta"), ("hadnshake", "alpha")):
        res = faqkb(project, "search", query, "--json")
        assert res.returncode == 0, (query, res.stderr)
        assert json.loads(res.stdout)[0]["id"] == want, query
    # a word far from every indexed one still finds nothing
    assert faqkb(project, "search", "zebra").returncode == 1


def test_stemming_finds_other_forms(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    res = faqkb(project, "search", "converting", "--json")  # the entry says "convert"
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "beta"


def test_an_entry_edited_in_place_is_searched_fresh(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": ALPHA, "beta": BETA})
    assert faqkb(project, "search", "walrus").returncode == 1
    beta = project / "docs" / "faq" / "beta.yml"
    with beta.open("r+") as f:  # the same file, written in place: its folder is untouched
        text = f.read().replace("to DER", "to walrus DER")
        f.seek(0)
        f.write(text)
    res = faqkb(project, "search", "walrus", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "beta"


def test_run_together_words_find_camelcase_names(tmp_path: Path, faqkb) -> None:
    delta = MINIMAL.format(id="delta").replace("What is delta?", "Where does SSLCertificateKeyFile point?")
    project = make_project(tmp_path, {"delta": delta, "beta": BETA})
    # "keyfile" is no indexed word: it is read as "key" + "file", parts of the directive's name
    res = faqkb(project, "search", "keyfile", "--json")
    assert res.returncode == 0 and json.loads(res.stdout)[0]["id"] == "delta"
