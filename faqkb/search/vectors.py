"""Sentence vectors from a small static embedding model, in plain Python.

The model is WordLlama's ``l2_supercat_256`` (the ``wordllama`` package ships it in its
wheel): a vector of 256 numbers per token of LLaMA 2's vocabulary; a text's vector is the
mean of its tokens' vectors, normalised. Two texts that mean the same with different
words ("throwaway certificate" and "self-signed test certificate") get close vectors, which
is what word matching alone misses.

Why not wordllama's own API: it imports numpy and tokenizers, about 200 ms, several times
what a whole lookup may cost. A query is a few dozen tokens, compared with the vectors of
some forty candidates, which plain Python does in milliseconds: the tokenizer is the
model's own BPE over its vocabulary and merges (read from the tokenizer file when the index
is built, and from the index's own tables at lookup), and a token's vector is read from the
memory-mapped weights file. Entry vectors are made at index time with this same code, so
both sides tokenize alike. Nothing here downloads anything.
"""

from __future__ import annotations

import contextlib
import json
import math
import mmap
import operator
import os
import re
import sqlite3
import struct
import sys
from collections.abc import Iterable, Iterator

#: The model: its weights and tokenizer files inside the ``wordllama`` package.
MODEL = "l2_supercat_256"
_WEIGHTS = os.path.join("wordllama", "weights", MODEL + ".safetensors")
_TOKENIZER = os.path.join("wordllama", "tokenizers", "l2_supercat_tokenizer_config.json")
_SPACE = "\u2581"  # SentencePiece's word start: the tokenizer writes every space as this
_CHUNK = re.compile(f"(?={_SPACE})")


def _package_file(relative: str) -> str | None:
    """``relative`` in the first ``sys.path`` folder holding it (no import: wordllama's own
    ``__init__`` loads numpy)."""
    for folder in sys.path:
        path = os.path.join(folder or ".", relative)
        if os.path.isfile(path):
            return path
    return None


class Tables:
    """The tokenizer's vocabulary and merge ranks, wherever they are kept.

    A plain base class, not a ``typing.Protocol``: typing costs a lookup its import."""

    def token_id(self, token: str) -> int | None:
        """The id of ``token``, None if the vocabulary lacks it."""
        raise NotImplementedError

    def merge_rank(self, left: str, right: str) -> int | None:
        """The rank of merging ``left`` and ``right`` (lower merges first), None if never."""
        raise NotImplementedError


class FileTables(Tables):
    """The tables from the model's tokenizer file (for building an index)."""

    def __init__(self, path: str) -> None:
        with open(path, encoding="utf-8") as f:
            model = json.load(f)["model"]
        self.vocab: dict[str, int] = model["vocab"]
        self.merges: dict[tuple[str, str], int] = {}
        for rank, merge in enumerate(model["merges"]):
            left, right = merge.split(" ", 1) if isinstance(merge, str) else merge
            self.merges[(left, right)] = rank

    def token_id(self, token: str) -> int | None:
        """The id of ``token``, None if the vocabulary lacks it."""
        return self.vocab.get(token)

    def merge_rank(self, left: str, right: str) -> int | None:
        """The rank of merging ``left`` and ``right``, None if never."""
        return self.merges.get((left, right))


class IndexTables(Tables):
    """The tables an index keeps (``bpe_vocab``, ``bpe_merges``), read a row at a time: a
    query needs a few hundred of the 90,000 rows."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self._ids: dict[str, int | None] = {}
        self._ranks: dict[str, int | None] = {}

    def token_id(self, token: str) -> int | None:
        """The id of ``token``, None if the vocabulary lacks it."""
        if token not in self._ids:
            row = self.db.execute("SELECT id FROM bpe_vocab WHERE token = ?", (token,)).fetchone()
            self._ids[token] = row[0] if row else None
        return self._ids[token]

    def merge_rank(self, left: str, right: str) -> int | None:
        """The rank of merging ``left`` and ``right``, None if never."""
        pair = left + " " + right
        if pair not in self._ranks:
            row = self.db.execute("SELECT rank FROM bpe_merges WHERE pair = ?", (pair,)).fetchone()
            self._ranks[pair] = row[0] if row else None
        return self._ranks[pair]


def _bpe(chunk: str, tables: Tables) -> list[str]:
    """The tokens of one word (``▁`` and what follows it): merge the best-ranked neighbours
    until no pair merges, as the model's BPE does."""
    symbols = list(chunk)
    while len(symbols) > 1:
        best: tuple[int, int] | None = None
        for i in range(len(symbols) - 1):
            rank = tables.merge_rank(symbols[i], symbols[i + 1])
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, i)
        if best is None:
            break
        i = best[1]
        symbols[i:i + 2] = [symbols[i] + symbols[i + 1]]
    return symbols


def token_ids(text: str, tables: Tables) -> list[int]:
    """``text``'s token ids: whitespace collapsed, each word BPE'd, a character the
    vocabulary lacks as its UTF-8 bytes (the model's byte fallback)."""
    normal = _SPACE + _SPACE.join(text.split())
    ids: list[int] = []
    for chunk in _CHUNK.split(normal):
        for token in _bpe(chunk, tables) if chunk else ():
            tid = tables.token_id(token)
            if tid is not None:
                ids.append(tid)
                continue
            for byte in token.encode("utf-8"):
                fallback = tables.token_id(f"<0x{byte:02X}>")
                if fallback is not None:
                    ids.append(fallback)
    return ids


class Weights:
    """The model's token vectors, memory-mapped: a lookup reads the rows it needs."""

    def __init__(self, path: str) -> None:
        with open(path, "rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        size = struct.unpack_from("<Q", self._map, 0)[0]
        header = json.loads(self._map[8:8 + size])
        tensor = header["embedding.weight"]
        if tensor["dtype"] != "F16" or len(tensor["shape"]) != 2:
            raise ValueError(f"{path}: unexpected tensor {tensor['dtype']} {tensor['shape']}")
        self.rows, self.dim = tensor["shape"]
        self._base = 8 + size + tensor["data_offsets"][0]
        self._row = struct.Struct(f"<{self.dim}e")

    def vector(self, ids: Iterable[int]) -> tuple[float, ...] | None:
        """The normalised mean of the rows ``ids``; None for no (known) token."""
        total = [0.0] * self.dim
        n = 0
        for tid in ids:
            if 0 <= tid < self.rows:
                row = self._row.unpack_from(self._map, self._base + tid * self._row.size)
                total = [a + b for a, b in zip(total, row, strict=True)]
                n += 1
        norm = math.sqrt(sum(x * x for x in total))
        return tuple(x / norm for x in total) if n and norm else None


def pack(vecs: list[tuple[float, ...]]) -> bytes:
    """An entry's vectors as the index stores them: one run of half-precision floats."""
    flat = [x for v in vecs for x in v]
    return struct.pack(f"<{len(flat)}e", *flat)


def _unpack(blob: bytes) -> tuple[float, ...]:
    return struct.unpack(f"<{len(blob) // 2}e", blob)


#: What a missing, truncated or foreign model file raises while it is read.
_UNREADABLE = (OSError, ValueError, KeyError, TypeError, IndexError, struct.error)


class Embedder:
    """Texts to vectors, for building an index; unavailable (the index gets no vectors, and
    search ranks by words alone) when the model is not installed or cannot be read."""

    def __init__(self) -> None:
        weights, tokenizer = _package_file(_WEIGHTS), _package_file(_TOKENIZER)
        self.weights: Weights | None = None
        self.tables: FileTables | None = None
        if weights and tokenizer:
            with contextlib.suppress(*_UNREADABLE):
                self.weights, self.tables = Weights(weights), FileTables(tokenizer)

    @property
    def available(self) -> bool:
        """True when the model's files were found."""
        return self.weights is not None and self.tables is not None

    def vector(self, text: str) -> tuple[float, ...] | None:
        """``text``'s vector (None for a text of no token, or without the model)."""
        if self.weights is None or self.tables is None:
            return None
        return self.weights.vector(token_ids(text, self.tables))

    def vocabulary(self) -> Iterator[tuple[str, int]]:
        """The tokenizer's (token, id) rows, for the index."""
        assert isinstance(self.tables, FileTables)
        return iter(self.tables.vocab.items())

    def merges(self) -> Iterator[tuple[str, int]]:
        """The tokenizer's ("left right", rank) rows, for the index."""
        assert isinstance(self.tables, FileTables)
        return ((f"{a} {b}", rank) for (a, b), rank in self.tables.merges.items())


def query_vector(db: sqlite3.Connection, text: str) -> tuple[float, ...] | None:
    """The vector of a query, with the index's tokenizer tables and the installed model's
    weights; None when the index has no vectors or the model is missing or unreadable (the
    lookup then ranks by words alone)."""
    with contextlib.suppress(sqlite3.Error, *_UNREADABLE):
        row = db.execute("SELECT value FROM info WHERE key = 'vectors'").fetchone()
        if not row or row[0] != MODEL:
            return None
        path = _package_file(_WEIGHTS)
        if path is None:
            return None
        return Weights(path).vector(token_ids(text, IndexTables(db)))
    return None


def similarities(db: sqlite3.Connection, query: tuple[float, ...], rids: Iterable[int]) -> dict[int, float]:
    """Each entry's best cosine between ``query`` and its vectors (its question, aliases and
    old questions: the nearest way of asking it), for the rows ``rids``."""
    out: dict[int, float] = {}
    dim = len(query)
    for rid in rids:
        row = db.execute("SELECT vecs FROM vectors WHERE rid = ?", (rid,)).fetchone()
        if row:
            flat = _unpack(row[0])
            out[rid] = max(sum(map(operator.mul, query, flat[i:i + dim])) for i in range(0, len(flat), dim))
    return out
