"""The index's layout, shared by the side that builds it and the side that reads it (a leaf)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from faqkb import __version__

INDEX_NAME = "search.sqlite"
#: Bump when the index's layout or content changes, so old indexes are rebuilt.
SCHEMA_VERSION = "7"
#: The FTS5 columns and their bm25 weights, in table order (bm25 takes weights by position).
WEIGHTS: dict[str, float] = {
    "question": 8.0,
    "aliases": 6.0,
    "tags": 2.0,
    "answer": 1.5,
    "commands": 1.0,
    "output": 2.0,
    "legacy": 3.0,
    # OpenSSL codes as library + reason words (faqkb.search.codes): exact, whatever the version
    "codes": 6.0,
}
COLUMNS: tuple[str, ...] = tuple(WEIGHTS)
#: FTS5's tokenizer. porter: "certificates" finds "certificate"; '_' stays inside a word so
#: SSL_ERROR_NO_CYPHER_OVERLAP is one term, as people paste it.
TOKENIZE = "porter unicode61 tokenchars '_'"
#: Where people's own words are (and the decoded codes): a query word found here counts twice.
STRONG_COLUMNS: tuple[str, ...] = ("question", "aliases", "legacy", "codes")
#: The shipped knowledge base's index, package data of an installed faqkb (``make wheel``
#: writes it before building the wheel); an installed faqkb searches it outside a KB project.
SHIPPED = Path(__file__).resolve().parent / "shipped" / INDEX_NAME
#: The environment variable naming an index to search instead (as ``--index FILE`` does).
INDEX_ENV = "FAQKB_INDEX"


#: Up to this many entry files, a lookup also checks every file's size and time (a few
#: stats), so an entry edited in place is noticed; a bigger KB is checked per folder only.
FILE_CHECK_LIMIT = 1000


def _folder(directory: Path, suffixes: tuple[str, ...], files: bool) -> str:
    try:
        st = os.stat(directory)
    except OSError:
        return "-"
    stamp = f"{st.st_ino}:{st.st_mtime_ns}"
    if not files:
        return stamp
    # os.scandir, not Path.glob: no Path per file and no sorting (sums do not depend on order)
    count = size = newest = total = 0
    with contextlib.suppress(OSError), os.scandir(directory) as it:
        for d in it:
            if d.name.endswith(suffixes):
                with contextlib.suppress(OSError):
                    fst = d.stat()
                    count += 1
                    size += fst.st_size
                    newest = max(newest, fst.st_mtime_ns)
                    total += fst.st_mtime_ns
    return f"{stamp}:{count}:{size}:{newest}:{total}"


def project_digest(faq_dir: Path, cache_dir: Path, site_url: str | None, faq_prefix: str, *,
                   files: bool = True) -> str:
    """Cheap fingerprint of what a project's index is made of (entry files, cached results,
    the site's address): an index recording another one is rebuilt.

    A plain string, not a hash (hashlib would cost a lookup more than it saves). Each folder
    counts by its own stamp (inode and mtime: a file added, removed or renamed, which is how
    git, ``sed -i``, most editors and faqkb's own writers save); with ``files``, also by its
    files' count, sizes and times, which an edit in place changes as well.
    """
    parts = [__version__, SCHEMA_VERSION, str(site_url), faq_prefix]
    for directory, suffixes in ((faq_dir, (".yml", ".yaml")), (cache_dir / "results", (".json",))):
        parts.append(_folder(directory, suffixes, files))
    return "/".join(parts)
