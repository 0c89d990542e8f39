"""Atomic site and docs-tree builds.

``build_site`` first loads and checks the FAQ here (invalid content is a
:class:`~faqkb.errors.ContentError` with every ``path:line:col``, exit 2, before MkDocs
starts), then runs MkDocs in a child process (so the core never imports it) into a
temporary folder beside the target and swaps it in only on success: a failed build
leaves the previous site untouched and no half-written folder behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from faqkb.errors import EXIT_FAILED, ContentError, FaqkbError
from faqkb.load.loader import load_project
from faqkb.model import SNAP_SUFFIX
from faqkb.pipeline.builder import Built, build, check_pages
from faqkb.pipeline.outputs import check_target, new_temp, swap_in
from faqkb.project import Project, plugin_listed, read_config
from faqkb.render.jinja import check_overrides
from faqkb.render.pages import LANDING, landing_page, site_pages, with_landing
from faqkb.render.style import SCRIPT_URI, STYLESHEET_URI, script, stylesheet

MKDOCS_TIMEOUT = 3600
#: How long an interrupted MkDocs child gets to tear down its servers and sandboxes.
TEARDOWN_GRACE = 30.0
_PR_SET_PDEATHSIG = 1
#: How `faqkb build` hands its own options to the faqkb plugin in the MkDocs child process
#: (MkDocs has no command-line override for plugin options); read by :func:`plugin_overrides`.
ENV_VERIFY = "FAQKB_VERIFY"
ENV_JOBS = "FAQKB_JOBS"
ENV_OFFLINE = "FAQKB_OFFLINE"
#: What mkdocs.yml needs for faqkb, as the message that asks for it shows it.
PLUGIN_HINT = "plugins:\n  - search\n  - faqkb"


def plugin_overrides(environ: dict[str, str], verify: bool, jobs: int) -> tuple[bool, int | None]:
    """The plugin's ``verify`` and ``jobs`` with what `faqkb build` asked for (it wins)."""
    wanted_jobs = int(environ.get(ENV_JOBS, "0") or 0) or jobs or None
    return verify and environ.get(ENV_VERIFY, "1") != "0", wanted_jobs


def offline_requested(environ: dict[str, str]) -> bool:
    """Whether `faqkb build --offline` asked the plugin for a site that works from ``file://``."""
    return environ.get(ENV_OFFLINE, "0") == "1"


@dataclass
class SiteResult:
    """Where the site went, and what could not be verified."""

    site_dir: Path
    failures: list[str] = field(default_factory=list)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    # If faqkb is killed outright (SIGKILL), the kernel sends MkDocs SIGTERM, which the faqkb
    # plugin turns into a clean stop: no orphan goes on running commands and httpds.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _run_mkdocs(cmd: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Run MkDocs in its own process group; on Ctrl-C or SIGTERM, ask it to stop and wait for
    its teardown (httpds stopped, sandboxes and the test PKI removed) before giving up on it."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, start_new_session=True,
                            preexec_fn=_die_with_parent)
    try:
        return proc.wait(timeout=MKDOCS_TIMEOUT)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=TEARDOWN_GRACE)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        raise


def build_site(
    project: Project,
    site_dir: Path | None = None,
    *,
    strict: bool = False,
    verify: bool = True,
    jobs: int | None = None,
    offline: bool = False,
    progress: Callable[[str], None] | None = None,
) -> SiteResult:
    """Build the site with ``mkdocs build`` (the faqkb plugin does the work) atomically;
    ``offline``: a site that works from ``file://`` (the plugin turns on Material's offline
    plugin, .html URLs and a local copy of the search worker shim)."""
    if project.config_file is None:
        raise FaqkbError(f"no mkdocs.yml (or mkdocs.yaml) found at or above {project.root}; "
                         "start a knowledge base with `faqkb init`, or write one")
    if not plugin_listed(project.config_file):
        # Without it MkDocs builds a site with no FAQ and verifies nothing.
        raise FaqkbError(f"{project.config_file} does not list the faqkb plugin, so MkDocs would "
                         f"build no FAQ; add it under plugins:\n{PLUGIN_HINT}")
    # Cheap with the schema memo; MkDocs would only report the problems as a plugin error.
    check_pages(load_project(project, schema_memo=project.cache_dir / "schema-valid.json"), project)
    problems = check_overrides(project.templates_dir)
    if problems:
        raise ContentError(problems)
    if verify and project.tools:  # a broken version command is the configuration's: exit 2 here
        from faqkb.verify.tools import Versions

        probes = Versions(project.tools, lambda name: project.where("tools", name))
        probes.versions(probes.specs)
    target = (site_dir or project.site_dir).resolve()
    check_target(project, target, "the site folder")
    tmp = new_temp(target)
    # FAQKB_SANDBOX: a debugging `FAQKB_SANDBOX=off faqkb build` must reach the verifier.
    env = {k: v for k, v in os.environ.items()
           if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "FAQKB_SANDBOX")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    env[ENV_VERIFY] = "1" if verify else "0"
    if jobs:
        env[ENV_JOBS] = str(jobs)
    if offline:
        env[ENV_OFFLINE] = "1"
    cmd = [sys.executable, "-m", "mkdocs", "build", "--clean", "--config-file",
           str(project.config_file), "--site-dir", str(tmp)]
    if strict:
        cmd.append("--strict")
    if progress:
        progress(f"building the site with MkDocs into {target} ...")
    try:
        returncode = _run_mkdocs(cmd, project.root, env)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FaqkbError(f"mkdocs build failed (exit {returncode}); {target} was left as it was",
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
    out = out.resolve()
    check_target(project, out, "the output folder")
    # Invalid content, or an entry outside the FAQ folder (copied out as raw YAML), stops it here.
    load_project(project, schema_memo=project.cache_dir / "schema-valid.json")
    built = build(project, verify=verify, jobs=jobs, progress=progress)
    tmp = new_temp(out)
    try:
        skip = project.faq_dir

        def ignore(d: str, names: list[str]) -> list[str]:
            if Path(d).resolve() == skip:
                return [n for n in names if n.endswith((".yml", ".yaml", SNAP_SUFFIX))]
            return []

        shutil.copytree(project.docs_dir, tmp, ignore=ignore, dirs_exist_ok=True)
        # The pages' marks need faqkb's stylesheet, their scrolling code blocks its script (a
        # copy of the team's own in docs/ wins).
        pages = {uri: text() for uri, text in ((STYLESHEET_URI, stylesheet), (SCRIPT_URI, script))
                 if not (tmp / uri).exists()}
        for rel, text in {**pages, **site_pages(built.pages)}.items():
            dest = tmp / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_text(text, "utf-8")
        # The landing block, as the plugin places it: at the marker of the team's home page,
        # or as the home page when there is none.
        landing, home = built.pages.get(LANDING, ""), tmp / "index.md"
        if landing and home.is_file():
            home.write_text(with_landing(home.read_text("utf-8"), landing), "utf-8")
        elif landing:
            name = read_config(project.config_file).get("site_name") if project.config_file else None
            home.write_text(landing_page(str(name or "FAQ"), landing), "utf-8")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    swap_in(tmp, out)
    return built
