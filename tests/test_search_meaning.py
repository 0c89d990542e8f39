"""Search re-ranks by meaning: the static embedding model's vectors, computed in plain
Python (faqkb.search.vectors), tokenized exactly as the model's own tokenizer does."""

from __future__ import annotations

import contextlib
import importlib
import json
import sqlite3
from pathlib import Path

from faqkb.search import vectors
from faqkb.search.index import ensure_index
from faqkb.search.query import search
from tests.kbutil import MINIMAL, make_project


def _entry(entry_id: str, question: str) -> str:
    return MINIMAL.format(id=entry_id).replace(f"What is {entry_id}?", question)


ENTRIES = {
    "selfsigned": _entry("selfsigned", "How do I create a self-signed certificate for testing?"),
    "trust": _entry("trust", "Why does my browser not trust the certificate from my CA?"),
    "renew": _entry("renew", "How do I renew an expiring certificate?"),
}
#: Its only word the entries hold is "certificate", which all three share.
QUERY = "dummy certificate for local development"


def test_plain_python_tokenizer_is_the_models_own() -> None:
    tokenizers = importlib.import_module("tokenizers")  # wordllama's dependency: the reference
    path = vectors._package_file(vectors._TOKENIZER)
    assert path is not None, "the wordllama package (a faqkb dependency) is not installed"
    reference = tokenizers.Tokenizer.from_file(path)
    mine = vectors.FileTables(path)
    texts = ["How do I remove the pass-phrase from my key?",
             "error:1408F10B:SSL routines:ssl3_get_record:wrong version number",
             "AH02578: Init: Unable to read pass phrase [Hint: key introduced or changed before restart?]",
             "SSLCertificateChainFile vs fullchain.pem", "café, naïve € 証明書", "SSL_ERROR_NO_CYPHER_OVERLAP"]
    for text in texts:
        assert vectors.token_ids(text, mine) == reference.encode(text, add_special_tokens=False).ids, text


def test_meaning_ranks_the_entry_asked_in_other_words(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, ENTRIES)
    index = ensure_index(project / "docs" / "faq", project / "snippets", project / ".faqkb-cache")
    words = search(index, QUERY, 3, semantic=0.0)
    assert len({h.score for h in words}) == 1  # the words alone cannot tell them apart
    res = faqkb(project, "search", QUERY, "--json")
    assert res.returncode == 0, res.stderr
    hits = json.loads(res.stdout)
    assert hits[0]["id"] == "selfsigned"
    assert hits[0]["score"] > hits[1]["score"]


def test_the_index_keeps_one_vector_per_way_of_asking(tmp_path: Path) -> None:
    aliased = ENTRIES["renew"] + 'aliases: ["certificate expires soon", "renewal reminder"]\n'
    project = make_project(tmp_path, {**ENTRIES, "renew": aliased})
    index = ensure_index(project / "docs" / "faq", project / "snippets", project / ".faqkb-cache")
    with contextlib.closing(sqlite3.connect(index)) as db:
        sizes = dict(db.execute("SELECT meta.entry, length(vectors.vecs) FROM vectors "
                                "JOIN meta ON meta.rid = vectors.rid"))
        model = db.execute("SELECT value FROM info WHERE key = 'vectors'").fetchone()
    # the question (its old question is the same words: one vector) and the two aliases,
    # 256 half-precision floats each
    assert sizes == {"selfsigned": 512, "trust": 512, "renew": 3 * 512}
    assert model == (vectors.MODEL,)


def test_an_index_without_vectors_still_answers_by_words(tmp_path: Path) -> None:
    """An index built where the model is not installed has no vectors: words alone rank."""
    project = make_project(tmp_path, ENTRIES)
    index = ensure_index(project / "docs" / "faq", project / "snippets", project / ".faqkb-cache")
    words = [(h.id, h.score) for h in search(index, "renew an expiring certificate", 3, semantic=0.0)]
    with contextlib.closing(sqlite3.connect(index)) as db:
        db.execute("DELETE FROM info WHERE key = 'vectors'")
        db.commit()
    assert [(h.id, h.score) for h in search(index, "renew an expiring certificate", 3)] == words
    assert words[0][0] == "renew"


def test_an_unreadable_model_file_leaves_words_to_rank(tmp_path: Path, faqkb) -> None:
    """A truncated weights file first on the path: no traceback, the words still answer."""
    project = make_project(tmp_path / "kb", ENTRIES)
    assert faqkb(project, "search", "renew", "--json").returncode == 0  # the index, with vectors
    broken = tmp_path / "broken" / "wordllama" / "weights"
    broken.mkdir(parents=True)
    (broken / f"{vectors.MODEL}.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    res = faqkb(project, "search", "renew an expiring certificate", "--json",
                env={"PYTHONPATH": str(tmp_path / "broken")})
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    assert json.loads(res.stdout)[0]["id"] == "renew"


def test_a_runner_up_that_shares_only_a_common_word_is_left_out(tmp_path: Path, faqkb) -> None:
    """The adoption review's finding: weak matches padded the list to five."""
    project = make_project(tmp_path, {
        "tar-gz": _entry("tar-gz", "Why does tar say that stdin is not in gzip format?"),
        "json": _entry("json", "Why is my JSON not pretty-printed?"),
    })
    index = ensure_index(project / "docs" / "faq", project / "snippets", project / ".faqkb-cache")
    query = "gzip: stdin: not in gzip format"
    assert [h.id for h in search(index, query, 5, semantic=0.0)] == ["tar-gz", "json"]  # "not"
    res = faqkb(project, "search", query, "--json")
    assert res.returncode == 0 and [h["id"] for h in json.loads(res.stdout)] == ["tar-gz"]
