"""Atomic site and docs-tree builds.

``build_site`` first loads and checks the FAQ here (invalid content is a
:class:`~faqkb.errors.ContentError` with every ``path:line:col``, exit 2, before MkDocs
starts), then runs MkDocs in a child process (so the core never imports it) into a
temporary folder beside the target and swaps it in only on success: a failed build
leaves the previous site untouched and no half-written folder behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faqkb.errors import EXIT_FAILED, FaqkbError
from faqkb.load.loader import load_kb
from faqkb.pipeline.builder import Built, build
from faqkb.project import Project

MKDOCS_TIMEOUT = 3600
#: How `faqkb build` hands its own options to the faqkb plugin in the MkDocs child process
#: (MkDocs has no command-line override for plugin options); read by :func:`plugin_overrides`.
ENV_VERIFY = "FAQKB_VERIFY"
ENV_JOBS = "FAQKB_JOBS"


def plugin_overrides(environ: dict[str, str], verify: bool, jobs: int) -> tuple[bool, int | None]:
    """The plugin's ``verify`` and ``jobs`` with what `faqkb build` asked for (it wins)."""
    wanted_jobs = int(environ.get(ENV_JOBS, "0") or 0) or jobs or None
    return verify and environ.get(ENV_VERIFY, "1") != "0", wanted_jobs


@dataclass
class SiteResult:
    """Where the site went, and what could not be verified."""

    site_dir: Path
    failures: list[str] = field(default_factory=list)


def swap_in(tmp: Path, target: Path) -> None:
    """Replace ``target`` by ``tmp`` with two renames, so readers never see a half site."""
    old = target.with_name(target.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    if old.exists():
        shutil.rmtree(old, ignore_errors=True)


def build_site(
    project: Project,
    site_dir: Path | None = None,
    *,
    strict: bool = False,
    verify: bool = True,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> SiteResult:
    """Build the site with ``mkdocs build`` (the faqkb plugin does the work) atomically."""
    if project.config_file is None:
        raise FaqkbError(f"no mkdocs.yml found at or above {project.root}; create one first")
    # Cheap with the schema memo; MkDocs would only report the problems as a plugin error.
    load_kb(project.faq_dir, project.snippets_dir, schema_memo=project.cache_dir / "schema-valid.json")
    target = (site_dir or project.site_dir).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    # FAQKB_SANDBOX: a debugging `FAQKB_SANDBOX=off faqkb build` must reach the verifier.
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "FAQKB_SANDBOX")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env[ENV_VERIFY] = "1" if verify else "0"
    if jobs:
        env[ENV_JOBS] = str(jobs)
    cmd = [sys.executable, "-m", "mkdocs", "build", "--clean", "--config-file",
           str(project.config_file), "--site-dir", str(tmp)]
    if strict:
        cmd.append("--strict")
    if progress:
        progress(f"building the site with MkDocs into {target} ...")
    try:
        proc = subprocess.run(cmd, cwd=project.root, env=env, timeout=MKDOCS_TIMEOUT,
                              start_new_session=True, check=False)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FaqkbError(f"mkdocs build failed (exit {proc.returncode}); {target} was left as it was",
                         EXIT_FAILED)
    swap_in(tmp, target)
    return SiteResult(target)


def render_tree(
    project: Project,
    out: Path,
    *,
    verify: bool = True,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Write the docs tree with the FAQ rendered to Markdown into ``out``, atomically."""
    built = build(project, verify=verify, jobs=jobs, progress=progress)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        skip = project.faq_dir

        def ignore(d: str, names: list[str]) -> list[str]:
            if Path(d).resolve() == skip:
                return [n for n in names if n.endswith((".yml", ".yaml"))]
            return []

        shutil.copytree(project.docs_dir, tmp, ignore=ignore, dirs_exist_ok=True)
        for rel, text in built.pages.items():
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, "utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out)
    return built
