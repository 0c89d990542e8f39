"""Folders faqkb writes (the site, a rendered docs tree): made beside the target and swapped
in whole, and never put over anything faqkb did not write.

Every such folder carries :data:`MARKER`. A target that exists, is not empty and has no
marker is refused (exit 2), and so is any target that holds, or lies inside, the project's
sources: ``render --out .`` or ``--out docs`` must never delete a project.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from faqkb.errors import FaqkbError
from faqkb.proc.liveness import alive
from faqkb.project import Project

#: Written into every output folder faqkb makes; holds the pid of the build writing it.
MARKER = ".faqkb-output"
# What an older faqkb (or MkDocs itself) left as a site: accepted once, then marked.
_SITE_SIGNATURE = ("sitemap.xml", "search/search_index.json")


def check_target(project: Project, target: Path, what: str) -> None:
    """Refuse ``target`` (FaqkbError, exit 2) unless faqkb may replace it."""
    target = target.resolve()
    sources = [project.root, project.docs_dir, project.faq_dir, project.snippets_dir,
               project.cache_dir, Path.home().resolve()]
    if project.config_file is not None:
        sources.append(project.config_file.resolve())
    for src in sources:
        if target == src or src.is_relative_to(target):
            raise FaqkbError(f"{what} {target} would replace {src}; write it to a folder of its own "
                             "(for example site/ or rendered/)")
    if target.is_relative_to(project.docs_dir):
        raise FaqkbError(f"{what} {target} is inside the docs folder {project.docs_dir}, whose files "
                         "are the site's sources; write it somewhere else")
    if not target.exists():
        return
    if not target.is_dir():
        raise FaqkbError(f"{what} {target} is a file, not a folder; choose a folder")
    if (target / MARKER).is_file() or not any(target.iterdir()):
        return
    if all((target / p).is_file() for p in _SITE_SIGNATURE) and what == "the site folder":
        return  # a site an earlier faqkb or MkDocs built; it is marked from now on
    raise FaqkbError(f"{what} {target} is not empty and was not written by faqkb (it has no "
                     f"{MARKER}); choose an empty or new folder, or remove it yourself")


def new_temp(target: Path) -> Path:
    """An empty folder beside ``target`` to build into, marked with this process's pid."""
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    (tmp / MARKER).write_text(f"{os.getpid()}\n")
    return tmp


def sweep_stale(target: Path) -> None:
    """Remove what killed builds left beside ``target``: marked temp folders whose writer died."""
    for leftover in target.parent.glob(f".{target.name}.*"):
        marker = leftover / MARKER
        try:
            pid = int(marker.read_text().strip() or 0)
        except (OSError, ValueError):
            continue  # not ours: leave it
        if pid != os.getpid() and not alive(pid):
            shutil.rmtree(leftover, ignore_errors=True)


def swap_in(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` with renames, so readers never see a half site; only a
    folder :func:`check_target` accepted is ever removed."""
    (tmp / MARKER).write_text("")  # finished: nobody's temp folder any more
    old: Path | None = None
    if target.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
        (old / MARKER).write_text(f"{os.getpid()}\n")
        displaced = old / "previous"
        target.rename(displaced)
    tmp.rename(target)
    if old is not None:
        with contextlib.suppress(OSError):
            shutil.rmtree(old)
