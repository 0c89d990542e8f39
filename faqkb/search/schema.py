"""The index's layout, shared by the side that builds it and the side that reads it (a leaf)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from faqkb import __version__

INDEX_NAME = "search.sqlite"
#: Bump when the index's layout or content changes, so old indexes are rebuilt.
SCHEMA_VERSION = "3"
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
#: Where people's own words are (and the decoded codes): a query word found here counts twice.
STRONG_COLUMNS: tuple[str, ...] = ("question", "aliases", "legacy", "codes")
#: The shipped knowledge base's index, package data of an installed faqkb (``make wheel``
#: writes it before building the wheel); an installed faqkb searches it outside a KB project.
SHIPPED = Path(__file__).resolve().parent / "shipped" / INDEX_NAME
#: The environment variable naming an index to search instead (as ``--index FILE`` does).
INDEX_ENV = "FAQKB_INDEX"


def project_digest(faq_dir: Path, cache_dir: Path, site_url: str | None, faq_prefix: str) -> str:
    """Cheap fingerprint of what a project's index is made of (entry files, cached results,
    the site's address): an index recording another one is rebuilt."""
    h = hashlib.sha256(f"{__version__}/{SCHEMA_VERSION}/{site_url}/{faq_prefix}".encode())
    for directory, pattern in ((faq_dir, "*.y*ml"), (cache_dir / "results", "*.json")):
        for p in sorted(directory.glob(pattern)) if directory.is_dir() else []:
            st = p.stat()
            h.update(f"{p.name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return h.hexdigest()
