"""Build the offline search index: SQLite FTS5 over every entry, kept beside the cache.

The index holds what a reader might type or paste: the question, the other ways people
ask it and the error lines they paste (aliases), tags, the answer, the commands, and
the output those commands really produced when verified (so a pasted error line finds
the entry that reproduced it). OpenSSL codes are indexed by library and reason as well
(:mod:`faqkb.search.codes`), so either version's form of a code finds the entry. It also
keeps what a lookup prints (the refs, the page's URL, the answer's first lines, the whole
entry with its verified transcripts for ``faqkb show``) and the tables that turn a pasted
code into its text, so a lookup needs nothing else: an exported or shipped index answers
anywhere. A project's index is rebuilt only when its inputs change (:func:`ensure_index`);
the query side (:mod:`faqkb.search.query`) imports nothing of this.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from faqkb import __version__, placeholders
from faqkb._util import replacing
from faqkb.errors import FaqkbError
from faqkb.model import Entry, KnowledgeBase
from faqkb.proc import spawn
from faqkb.reports.text import command_text
from faqkb.results import EntryResult
from faqkb.run.redact import redact
from faqkb.run.shellwords import with_prompts
from faqkb.search import codes, vectors
from faqkb.search.schema import COLUMNS, INDEX_NAME, SCHEMA_VERSION, TOKENIZE, project_digest

_MD = re.compile(r"[`*_>#|]|\]\([^)]*\)")
_MAX_OUTPUT = 4000  # characters of output per entry: the error lines, not whole certificates
_OUTPUT_LINES = 40  # lines of each command's output: where its error lines are


#: The words a typo is corrected to: letters (and '_'), long enough to be mistyped.
_SPELLED = re.compile(r"[a-z0-9_]{4,40}")
_COMPOUND = re.compile(r"\b([A-Za-z]+)-([A-Za-z]+)\b")


#: The parts of a CamelCase name: SSLCACertificatePath -> SSLCA, Certificate, Path.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_CAMEL_WORD = re.compile(r"\b[A-Za-z]*[a-z][A-Z][A-Za-z]*\b")


def _with_compounds(text: str) -> str:
    """Add the joined form of hyphenated words ("pass-phrase" is also found as "passphrase")
    and the parts of CamelCase names (SSLCACertificatePath is also found by "path")."""
    joined = {a + b for a, b in _COMPOUND.findall(text)}
    for name in _CAMEL_WORD.findall(text):
        joined.update(_CAMEL.findall(name))
    return text + ("\n" + " ".join(sorted(joined)) if joined else "")


def _plain(markdown: str) -> str:
    """Markdown to the words a reader sees (links keep their text, markup goes)."""
    return _MD.sub(" ", markdown)


def _row(e: Entry, er: EntryResult | None) -> tuple[str, ...]:
    outputs = []
    if er is not None:
        for c in er.commands:
            text = "\n".join(c.combined.splitlines()[:_OUTPUT_LINES])  # redacted by the runner
            outputs.append(text + ("\n" + c.server_log if c.server_log else ""))
    output = "\n".join(outputs)[:_MAX_OUTPUT]
    decoded = codes.code_words(output + "\n" + e.answer + "\n" + "\n".join(e.aliases))
    columns = (
        e.question,
        "\n".join(e.aliases),
        " ".join(e.tags),
        _plain(e.answer + "\n" + (e.then_and_now or "")),
        "\n".join(placeholders.for_page(c.run) for c in e.commands)
        + ("\n" + redact(e.httpd.config) if e.httpd else ""),
        output,
        "\n".join(f"{leg.ref} {leg.question}" for leg in e.legacy),
        " ".join(decoded),
    )
    return tuple(_with_compounds(c) for c in columns)


def entry_url(site_url: str | None, faq_prefix: str, entry_id: str) -> str | None:
    """The address of an entry's page on the published site, or None without a ``site_url``."""
    if not site_url:
        return None
    return f"{site_url.rstrip('/')}/{faq_prefix.strip('/')}/{entry_id}/"


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def show_text(e: Entry, er: EntryResult | None) -> str:
    """The whole entry for the terminal (``faqkb show``): its answer, then each command as a
    reader types it, followed by the output it really printed when verified."""
    body = [f"[{e.section}] {' '.join('#' + t for t in e.tags)}".rstrip(), "", e.answer.strip()]
    outputs = {c.index: c for c in er.commands} if er is not None else {}
    for i, c in enumerate(e.commands):
        body += ["", _indent(with_prompts(command_text(c)))]
        res = outputs.get(i)
        if res is not None and res.combined.strip():
            body.append(_indent(res.combined.rstrip("\n")))
        elif res is None:
            body.append("  (not verified yet: run `faqkb verify`)")
    if e.see_also:
        body += ["", "See also: " + ", ".join(e.see_also)]
    return "\n".join(body)


def entry_doc(e: Entry, er: EntryResult | None, section: str) -> dict[str, object]:
    """The entry as ``faqkb show --json`` prints it, each command with its verified output."""
    outputs = {c.index: c for c in er.commands} if er is not None else {}
    return {"id": e.id, "section": e.section, "section_title": section, "question": e.question,
            "answer": e.answer, "tags": list(e.tags), "aliases": list(e.aliases),
            "see_also": list(e.see_also), "refs": [leg.ref for leg in e.legacy],
            "commands": [placeholders.for_page(c.run) for c in e.commands],
            "transcripts": [{"command": placeholders.for_page(c.run),
                             "status": str(outputs[i].status) if i in outputs else "unverified",
                             "exit": outputs[i].exit_code if i in outputs else None,
                             "output": outputs[i].combined if i in outputs else None}
                            for i, c in enumerate(e.commands)]}


def openssl_reason_table() -> dict[str, str]:
    """``{reason_word: "SSL routines::wrong version number"}`` for the libraries of
    :data:`codes.LIBRARIES`, as the installed ``openssl errstr`` names them (empty without
    openssl): a lookup turns a bare pasted code into its words."""
    exe = shutil.which("openssl")
    if exe is None:
        return {}
    table: dict[str, str] = {}
    wanted = [f"{lib << 23 | reason:08X}" for lib in codes.LIBRARIES for reason in range(1, 1280)]
    for start in range(0, len(wanted), 4000):
        try:
            res = spawn.run([exe, "errstr", *wanted[start:start + 4000]], timeout=30, cwd="/",
                            env={"PATH": os.defpath, "LC_ALL": "C"}, start_new_session=True)
        except (OSError, subprocess.TimeoutExpired):
            return table
        for line in res.stdout.decode("utf-8", "replace").splitlines():
            # error:0A00010B:SSL routines::wrong version number
            parts = line.split(":", 4)
            if len(parts) == 5 and not parts[4].startswith("reason("):
                pair = codes.decode(int(parts[1], 16))
                if pair is not None:
                    table[codes.reason_word(*pair)] = f"{parts[2]}: {parts[4]}"
    return table


def verified_counts(kb: KnowledgeBase, results: dict[str, EntryResult]) -> tuple[int, int]:
    """(entries that have commands, those of them with verified output in ``results``)."""
    checkable = [e.id for e in kb.entries.values() if e.commands]
    return len(checkable), sum(1 for i in checkable if i in results)


def asked(e: Entry) -> list[str]:
    """The ways the entry is asked (question, aliases, old questions): each gets a vector, and
    a query is as close to the entry as to the nearest of them."""
    return list(dict.fromkeys([e.question, *e.aliases, *(leg.question for leg in e.legacy)]))


def _vector_tables(db: sqlite3.Connection, embedder: vectors.Embedder) -> None:
    """The tables a lookup embeds its query with (the model's tokenizer) and the entries'
    vectors; ``info.vectors`` names the model, whose weights a lookup reads."""
    db.execute("CREATE TABLE vectors (rid INTEGER PRIMARY KEY, vecs BLOB)")
    db.execute("CREATE TABLE bpe_vocab (token TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID")
    db.execute("CREATE TABLE bpe_merges (pair TEXT PRIMARY KEY, rank INTEGER) WITHOUT ROWID")
    db.executemany("INSERT INTO bpe_vocab VALUES (?, ?)", embedder.vocabulary())
    db.executemany("INSERT OR IGNORE INTO bpe_merges VALUES (?, ?)", embedder.merges())
    db.execute("INSERT INTO info VALUES ('vectors', ?)", (vectors.MODEL,))


def build_index(kb: KnowledgeBase, results: dict[str, EntryResult], path: Path, digest: str, *,
                source: Path | None = None, site_url: str | None = None,
                faq_prefix: str = "faq", stamp: str = "", tokenize: str = TOKENIZE) -> None:
    """Write the index for ``kb`` to ``path`` atomically (a temp file renamed into place).

    ``source`` (the FAQ folder) and the time are recorded, so a lookup in an exported index
    can tell when the entries are newer; so are how many entries have verified output.
    ``digest`` and ``stamp`` are :func:`project_digest` with and without the files' own stats;
    ``tokenize`` is FTS5's tokenizer (another only for ``bench/search_eval.py``'s ablation).
    """
    with replacing(path) as tmp, contextlib.closing(sqlite3.connect(tmp)) as db:
        cols = ", ".join(COLUMNS)
        db.execute(f"CREATE VIRTUAL TABLE entries USING fts5({cols}, tokenize=\"{tokenize}\")")
        db.execute("CREATE TABLE meta (entry TEXT PRIMARY KEY, section TEXT, question TEXT, "
                   "rid INTEGER, refs TEXT, url TEXT, answer TEXT, show TEXT, doc TEXT)")
        db.execute("CREATE INDEX meta_rid ON meta (rid)")
        db.execute("CREATE TABLE info (key TEXT PRIMARY KEY, value TEXT)")
        db.execute("CREATE TABLE words (word TEXT PRIMARY KEY, text TEXT)")  # code -> its text
        # Every word the entries hold, by its letter triples: a lookup finds the words close
        # to one it does not know (a typo) without reading the whole vocabulary.
        db.execute("CREATE VIRTUAL TABLE spelling USING fts5(word, tokenize='trigram')")
        embedder = vectors.Embedder()
        if embedder.available:
            _vector_tables(db, embedder)
        vocabulary: set[str] = set()
        for e in sorted(kb.entries.values(), key=lambda x: x.id):
            er = results.get(e.id)
            row = _row(e, er)
            cur = db.execute(f"INSERT INTO entries ({cols}) VALUES ({', '.join('?' * len(COLUMNS))})", row)
            vocabulary.update(w for w in _SPELLED.findall(" ".join(row).lower()) if not w.isdigit())
            section = kb.section_of(e).title
            db.execute("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (e.id, section, e.question, cur.lastrowid,
                        json.dumps(list(dict.fromkeys(leg.ref for leg in e.legacy))),
                        entry_url(site_url, faq_prefix, e.id), e.answer.strip(),
                        show_text(e, er), json.dumps(entry_doc(e, er, section))))
            vecs = [v for v in map(embedder.vector, asked(e)) if v] if embedder.available else []
            if vecs:
                db.execute("INSERT INTO vectors VALUES (?, ?)", (cur.lastrowid, vectors.pack(vecs)))
        db.executemany("INSERT INTO spelling VALUES (?)", ((w,) for w in sorted(vocabulary)))
        db.executemany("INSERT OR IGNORE INTO words VALUES (?, ?)",
                       [*openssl_reason_table().items(),
                        *((k.lower(), v) for k, v in codes.httpd_messages().items())])
        checkable, verified = verified_counts(kb, results)
        db.executemany("INSERT INTO info VALUES (?, ?)",
                       [("schema", SCHEMA_VERSION), ("digest", digest), ("stamp", stamp),
                        ("entries", str(len(kb.entries))), ("checkable", str(checkable)),
                        ("verified", str(verified)),
                        ("source", str(source or "")), ("built", repr(time.time())),
                        ("faqkb", __version__)])
        db.commit()


def _indexed_digest(index: Path) -> str | None:
    try:
        with contextlib.closing(sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
            row = db.execute("SELECT value FROM info WHERE key = 'digest'").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def load_results(results_dir: Path) -> dict[str, EntryResult]:
    """The cached verification results, by entry id (unreadable ones left out)."""
    results = {}
    for p in results_dir.glob("*.json") if results_dir.is_dir() else []:
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            results[p.stem] = EntryResult.from_json(json.loads(p.read_text("utf-8")))
    return results


def ensure_index(faq_dir: Path, snippets_dir: Path | None, cache_dir: Path, *,
                 site_url: str | None = None, faq_prefix: str = "faq") -> Path:
    """The index for ``faq_dir``, rebuilt first if an entry or a result changed."""
    index = cache_dir / INDEX_NAME
    results_dir = cache_dir / "results"
    # The stamp first: a file changed while the index is built leaves it stale, not fresh.
    stamp = project_digest(faq_dir, cache_dir, site_url, faq_prefix, files=False)
    digest = project_digest(faq_dir, cache_dir, site_url, faq_prefix)
    if _indexed_digest(index) == digest:
        # Same files, folders touched (a file saved unchanged): remember the new stamp, so the
        # next lookup of a big KB does not check every file again.
        with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(index)) as db:
            db.execute("INSERT OR REPLACE INTO info VALUES ('stamp', ?)", (stamp,))
            db.commit()
        return index
    # Rebuilding needs the loader (YAML, the schema): only paid when something changed.
    from faqkb.load.loader import load_kb

    kb = load_kb(faq_dir, snippets_dir, only=[])  # entries with problems are left out
    build_index(kb, load_results(results_dir), index, digest, source=faq_dir,
                site_url=site_url, faq_prefix=faq_prefix, stamp=stamp)
    return index


def is_index(path: Path) -> bool:
    """True when ``path`` is a search index faqkb wrote (any version)."""
    with contextlib.suppress(sqlite3.Error, OSError):
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            return db.execute("SELECT value FROM info WHERE key = 'schema'").fetchone() is not None
    return False


def export_index(faq_dir: Path, snippets_dir: Path | None, cache_dir: Path, out: Path, *,
                 site_url: str | None = None, faq_prefix: str = "faq") -> tuple[int, int]:
    """Write the index of ``faq_dir`` (with the cached verified output) to ``out``; returns
    :func:`verified_counts`. A file there that is not a faqkb index is
    refused: nothing a user wrote is overwritten."""
    if out.exists() and (out.is_dir() or not is_index(out)):
        raise FaqkbError(f"{out}: exists and is not a faqkb search index; choose another file, "
                         "or remove it yourself")
    from faqkb.load.loader import load_kb

    kb = load_kb(faq_dir, snippets_dir)  # an export must be whole: problems stop it (exit 2)
    results = load_results(cache_dir / "results")
    out.parent.mkdir(parents=True, exist_ok=True)
    build_index(kb, results, out, project_digest(faq_dir, cache_dir, site_url, faq_prefix), source=faq_dir,
                site_url=site_url, faq_prefix=faq_prefix)
    return verified_counts(kb, results)
