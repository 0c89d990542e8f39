"""Which index a lookup searches, and what to tell the reader about it.

In order: ``--index FILE``, then ``$FAQKB_INDEX``, then the knowledge base of the project
around the current folder (its index kept fresh in its cache), then the index an installed
faqkb ships (:data:`~faqkb.search.schema.SHIPPED`). A missing index is an error that names
the command making one; an index older than its entries, or made before its entries were
verified, is searched with a note saying so and how to fix it, never silently.

Kept light for the lookup: the project's paths are remembered per ``mkdocs.yml`` in the
user's cache folder, so a lookup reads no YAML unless mkdocs.yml changed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import zlib
from collections.abc import Mapping
from pathlib import Path

from faqkb.search.schema import (
    FILE_CHECK_LIMIT,
    INDEX_ENV,
    INDEX_NAME,
    SCHEMA_VERSION,
    SHIPPED,
    project_digest,
)

_CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")  # as faqkb.project.CONFIG_NAMES (no YAML here)


class Located:
    """The index to search, where it came from (``project``, ``file``, ``shipped``), notes.

    A plain class: a NamedTuple or dataclass would load :mod:`typing` or :mod:`inspect` on
    every lookup.
    """

    __slots__ = ("kind", "notes", "path")

    def __init__(self, path: Path, kind: str, notes: list[str]) -> None:
        self.path, self.kind, self.notes = path, kind, notes

    def __repr__(self) -> str:
        return f"Located({self.path!r}, {self.kind!r}, {self.notes!r})"


def info(index: Path) -> dict[str, str]:
    """The index's ``info`` table (empty when it is not a readable faqkb index)."""
    with contextlib.suppress(sqlite3.Error), contextlib.closing(
            sqlite3.connect(f"file:{index}?mode=ro", uri=True)) as db:
        return dict(db.execute("SELECT key, value FROM info").fetchall())
    return {}


def _config_above(cwd: Path) -> Path | None:
    for d in [cwd, *cwd.parents]:
        for name in _CONFIG_NAMES:
            if (d / name).is_file():
                return d / name
    return None


def _where_file(config: Path, env: Mapping[str, str]) -> Path:
    base = Path(env.get("XDG_CACHE_HOME") or Path(env.get("HOME") or "/nonexistent") / ".cache")
    # crc32, not hashlib (OpenSSL's start-up on every lookup): the memo records its mkdocs.yml,
    # so two projects sharing a name only read their YAML again.
    key = str(config).encode()
    return base / "faqkb" / "projects" / f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}.json"


def project_paths(config: Path, env: Mapping[str, str]) -> dict[str, str]:
    """faq_dir, snippets_dir, cache_dir, site_url and faq_prefix of the project of ``config``:
    remembered while mkdocs.yml is unchanged, else read (YAML) and remembered again."""
    st = config.stat()
    stamp = f"{st.st_mtime_ns} {st.st_size}"
    memo = _where_file(config, env)
    with contextlib.suppress(OSError, ValueError):
        data = json.loads(memo.read_text("utf-8"))
        if data.get("stamp") == stamp and data.get("config") == str(config):
            return dict(data["paths"])
    from faqkb.project import Project, read_config

    project = Project.discover(config.parent)
    site_url = read_config(config).get("site_url")
    paths = {"faq_dir": str(project.faq_dir), "snippets_dir": str(project.snippets_dir),
             "cache_dir": str(project.cache_dir), "faq_prefix": project.faq_prefix,
             "site_url": site_url if isinstance(site_url, str) else ""}
    with contextlib.suppress(OSError):  # only a shortcut: a read-only home is fine
        from faqkb._util import atomic_write

        memo.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(memo, json.dumps({"stamp": stamp, "config": str(config), "paths": paths}))
    return paths


def _newest_entry(faq_dir: Path) -> float:
    newest = 0.0
    with contextlib.suppress(OSError):
        for p in faq_dir.iterdir():
            if p.suffix in (".yml", ".yaml"):
                newest = max(newest, p.stat().st_mtime)
    return newest


def file_notes(index: Path, facts: dict[str, str], fix: str) -> list[str]:
    """What the reader should know about ``index``: unverified entries, entries newer than it."""
    notes = []
    checkable, verified = int(facts.get("checkable", 0)), int(facts.get("verified", 0))
    if verified < checkable:
        notes.append(f"{checkable - verified} of {checkable} entries with commands have no verified "
                     "output in this index (not verified yet), so pasted error lines may miss them: "
                     + fix)
    source = Path(facts.get("source") or "/nonexistent")
    if fix.startswith("refresh") and source.is_dir() and _newest_entry(source) > float(facts.get("built", 0)):
        notes.append(f"{index} is older than the entries in {source}: {fix}")
    return notes


def fresh(facts: dict[str, str], faq_dir: Path, cache_dir: Path, site_url: str | None,
          faq_prefix: str) -> bool:
    """Whether the index of ``facts`` was made from the project's present files.

    The folders' stamps are compared first (two stats); a KB of up to
    :data:`~faqkb.search.schema.FILE_CHECK_LIMIT` entries then has every file's size and time
    compared too. A bigger one trusts its folders (the trade-off: 10,000 stats would cost a
    lookup more than Python's own start-up): an entry edited in place, without a rename, is
    noticed once anything is added to, removed from or renamed in the FAQ folder or the
    results cache (a new verification result), or after ``touch`` on the FAQ folder.
    """
    if facts.get("stamp") != project_digest(faq_dir, cache_dir, site_url, faq_prefix, files=False):
        return False
    if int(facts.get("entries") or 0) > FILE_CHECK_LIMIT:
        return True
    return facts.get("digest") == project_digest(faq_dir, cache_dir, site_url, faq_prefix)


def _explicit(path: Path) -> Located:
    from faqkb.errors import FaqkbError  # only here, where it is raised (start-up time)

    if not path.is_file():
        raise FaqkbError(f"{path}: no search index there; write one with "
                         f"`faqkb index --out {path}` in the knowledge base's project")
    facts = info(path)
    if facts.get("schema") != SCHEMA_VERSION:
        raise FaqkbError(f"{path}: not a search index this faqkb reads (layout "
                         f"{facts.get('schema', 'unknown')}, this faqkb reads {SCHEMA_VERSION}); "
                         f"write it again with `faqkb index --out {path}` in its project")
    where = facts.get("source") or "its project"
    fix = f"refresh it with `faqkb verify` and `faqkb index --out {path}` in {where}"
    return Located(path, "file", file_notes(path, facts, fix))


def locate(explicit: str | None, cwd: Path, env: Mapping[str, str] = os.environ) -> Located:
    """The index to search from ``cwd`` (see the module's docstring); FaqkbError when none."""
    chosen = explicit or env.get(INDEX_ENV)
    if chosen:
        return _explicit(Path(chosen).expanduser().resolve())
    config = _config_above(cwd)
    if config is not None:
        paths = project_paths(config, env)
        faq_dir, cache_dir = Path(paths["faq_dir"]), Path(paths["cache_dir"])
        site_url = paths["site_url"] or None
        index = cache_dir / INDEX_NAME
        facts = info(index)
        if not fresh(facts, faq_dir, cache_dir, site_url, paths["faq_prefix"]):
            # Rebuilding needs the loader (YAML, the schema): only paid when something changed.
            from faqkb.search.index import ensure_index

            index = ensure_index(faq_dir, Path(paths["snippets_dir"]), cache_dir,
                                 site_url=site_url, faq_prefix=paths["faq_prefix"])
            facts = info(index)
        return Located(index, "project", file_notes(index, facts,
                                                    "run `faqkb verify`, then search again"))
    if SHIPPED.is_file():
        return Located(SHIPPED, "shipped", file_notes(SHIPPED, info(SHIPPED),
                                                      "this faqkb was built without verifying them"))
    from faqkb.errors import FaqkbError

    raise FaqkbError(f"no knowledge base here (no mkdocs.yml in {cwd} or above) and this faqkb "
                     f"ships no index (it was installed from a source tree without `make wheel`); "
                     f"pass --index FILE or set {INDEX_ENV}, or run faqkb inside a KB project")
