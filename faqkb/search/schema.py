"""The index's layout, shared by the side that builds it and the side that reads it (a leaf)."""

from __future__ import annotations

INDEX_NAME = "search.sqlite"
#: Bump when the index's layout or content changes, so old indexes are rebuilt.
SCHEMA_VERSION = "2"
#: The FTS5 columns and their bm25 weights, in table order (bm25 takes weights by position).
WEIGHTS: dict[str, float] = {
    "question": 8.0,
    "aliases": 6.0,
    "tags": 2.0,
    "answer": 1.5,
    "commands": 1.0,
    "output": 2.0,
    "legacy": 3.0,
}
COLUMNS: tuple[str, ...] = tuple(WEIGHTS)
#: Where people's own words are: a query word found here counts twice.
STRONG_COLUMNS: tuple[str, ...] = ("question", "aliases", "legacy")
