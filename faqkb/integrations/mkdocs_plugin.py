"""MkDocs plugin: a thin shell that hands faqkb's rendered pages to MkDocs.

``plugins: [faqkb]`` in mkdocs.yml is all a site needs: the plugin adds the Markdown
extensions the pages use, faqkb's stylesheet and script, and strict link checks itself. Invalid content
stops the build with every problem listed; a command that fails verification is a warning
(fatal with ``mkdocs build --strict``). Under ``mkdocs serve`` invalid content does not stop
the server: the problems are printed and shown on every page above the last good build.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from faqkb.errors import ContentError, FaqkbError
from faqkb.load.strays import YAML_SUFFIXES, looks_like_entry_file
from faqkb.model import SNAP_SUFFIX
from faqkb.pipeline.builder import build
from faqkb.pipeline.sitebuild import plugin_overrides
from faqkb.project import Project, read_config
from faqkb.render.pages import problems_notice, stand_in_pages
from faqkb.render.style import SCRIPT_URI, STYLESHEET_URI, script, stylesheet

log = logging.getLogger("mkdocs.plugins.faqkb")

#: The Markdown extensions the rendered pages rely on (see faqkb/render/templates): heading
#: ids and classes, Markdown inside the command <div>s, the "Also asked as" and "Then and now"
#: blocks, fences inside them, highlighted console blocks, and the ids links point at.
EXTENSIONS = ("attr_list", "md_in_html", "admonition", "pymdownx.details", "pymdownx.superfences",
              "pymdownx.highlight", "toc")
#: Link checks a strict build should fail on (MkDocs only logs them at INFO by default): a
#: page whose heading ids were not made, say, links to anchors that are not there.
STRICT_LINKS = ("anchors", "unrecognized_links")


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class FaqkbConfig(Config):
    """Options of the ``faqkb`` plugin in mkdocs.yml (docs/start.md has the table)."""

    #: The entries' folder, relative to docs_dir.
    faq_dir = c.Type(str, default="faq")
    #: Files commands may copy into their sandbox, relative to mkdocs.yml.
    snippets_dir = c.Type(str, default="snippets")
    #: Verification results, the page memo and the search index, relative to mkdocs.yml.
    cache_dir = c.Type(str, default=".faqkb-cache")
    #: False: render without running commands (every command says "Not verified").
    verify = c.Type(bool, default=True)
    #: Entries verified in parallel; 0 means one per core.
    jobs = c.Type(int, default=0)
    #: A page (e.g. ssl_faq.html) that forwards the old FAQ's anchors to today's entries.
    legacy_page = c.Optional(c.Type(str))
    # How commands are verified and shown (checked by faqkb.project, which the CLI reads too):
    #: Tools the commands use: name -> command printing its version (none: openssl, curl, httpd).
    tools = c.Type(dict, default={})
    #: The directory the page says commands ran in, and the reader's home directory.
    reader_dir = c.Type(str, default="/home/user/demo")
    reader_home = c.Type(str, default="/home/user")

    # -- how pages look
    #: The knowledge base's own *.j2 templates, relative to mkdocs.yml (default: faqkb_templates
    #: when that folder exists); each replaces faqkb's template of the same name.
    templates_dir = c.Optional(c.Type(str))


def _base_name(extension: str) -> str:
    return extension.removeprefix("markdown.extensions.")


def add_extensions(config: MkDocsConfig) -> list[str]:
    """Add each of :data:`EXTENSIONS` the site does not load, and return their names; an
    extension the site lists keeps the site's own options."""
    have = {_base_name(e) for e in config.markdown_extensions if isinstance(e, str)}
    added = [e for e in EXTENSIONS if e not in have]
    config.markdown_extensions.extend(added)
    return added


def strict_links(config: MkDocsConfig, raw: dict[str, Any]) -> list[str]:
    """Make the link checks of :data:`STRICT_LINKS` warnings (a ``--strict`` build then fails
    on them) unless mkdocs.yml sets them; return the ones set here."""
    def mapping(value: object) -> dict[str, Any]:
        return value if isinstance(value, dict) else {}

    # MkDocs takes `validation: {anchors: ...}` as short for `validation: {links: {anchors: ...}}`.
    validation = mapping(raw.get("validation"))
    links = mapping(validation.get("links"))
    changed = []
    for check in STRICT_LINKS:
        if check not in validation and check not in links:
            setattr(config.validation.links, check, logging.WARNING)
            changed.append(check)
    return changed


class FaqkbPlugin(BasePlugin[FaqkbConfig]):
    """Renders every FAQ entry (verified) into section pages of the site."""

    # Defining on_startup keeps this one instance across the rebuilds of `mkdocs serve`, which
    # is what lets a rebuild with invalid content show the last good pages.
    serving = False
    last_good: dict[str, str] | None = None
    problems: tuple[str, ...] = ()

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        """Remember whether this is ``mkdocs serve``, which must not stop on invalid content."""
        self.serving = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Resolve the project's paths and set up what faqkb's pages need."""
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (a CI cancel, `faqkb build` interrupted, faqkb itself killed) stops a
            # running verification as Ctrl-C does: commands killed, httpds stopped, sandboxes gone.
            signal.signal(signal.SIGTERM, _terminate_as_interrupt)
            # Ctrl-C too, even when started with SIGINT ignored (``mkdocs build &``).
            signal.signal(signal.SIGINT, signal.default_int_handler)
        config_file = Path(config.config_file_path)
        root = config_file.resolve().parent
        self.project = Project.from_settings(
            root,
            config_file,
            {**self.config, "docs_dir": config.docs_dir, "site_dir": config.site_dir,
             "use_directory_urls": config.use_directory_urls},
        )
        added = add_extensions(config)
        if added:
            log.debug("faqkb: added the Markdown extensions its pages use: %s", ", ".join(added))
        if STYLESHEET_URI not in config.extra_css:
            config.extra_css.append(STYLESHEET_URI)
        if SCRIPT_URI not in (str(s) for s in config.extra_javascript):
            config.extra_javascript.append(SCRIPT_URI)
        try:
            raw = read_config(config_file)
        except FaqkbError as exc:
            raise PluginError(str(exc)) from None
        strict_links(config, raw)
        return config

    def on_serve(self, server: LiveReloadServer, *, config: MkDocsConfig,
                 builder: Callable[..., Any]) -> LiveReloadServer:
        """Rebuild when what the pages are made of changes outside docs_dir too: the snippets
        commands copy, the team's templates, and the FAQ folder if it lives elsewhere."""
        p = self.project
        for path in (p.snippets_dir, p.templates_dir, p.faq_dir):
            if path is not None and path.is_dir() and not path.is_relative_to(p.docs_dir):
                server.watch(str(path))
        return server

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Drop the raw YAML entries (misplaced ones too) and .snap files from the site; add the
        rendered pages."""
        prefix = self.project.faq_prefix + "/"
        for f in list(files):
            if f.src_uri.startswith(prefix) and f.src_uri.endswith(SNAP_SUFFIX):
                files.remove(f)  # a snapshot is the entry's test data, not a page
            elif f.src_uri.endswith(YAML_SUFFIXES) and (f.src_uri.startswith(prefix) or (
                    f.abs_src_path and looks_like_entry_file(Path(f.abs_src_path)))):
                files.remove(f)
        for uri, text in ((STYLESHEET_URI, stylesheet), (SCRIPT_URI, script)):
            if files.get_file_from_path(uri) is None:  # a team's own copy wins
                files.append(File.generated(config, uri, content=text()))
        for uri, content in self._pages().items():
            existing = files.get_file_from_path(uri)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, uri, content=content))
        return files

    def _pages(self) -> dict[str, str]:
        """The rendered pages; while serving, the last good ones when the content is invalid."""
        try:
            # `faqkb build` runs MkDocs in a child process and passes its options this way.
            verify, jobs = plugin_overrides(dict(os.environ), self.config.verify, self.config.jobs)
            built = build(self.project, verify=verify, jobs=jobs, progress=log.info)
        except FaqkbError as exc:
            problems = (tuple(str(p) for p in exc.problems) if isinstance(exc, ContentError)
                        else (str(exc),))
            if not self.serving:
                head = "invalid FAQ content:\n" if isinstance(exc, ContentError) else ""
                raise PluginError(head + str(exc)) from None
            # A server stuck on a failed build answers no request: keep serving instead.
            for line in problems:
                log.error(line)
            log.error("faqkb: fix the problems above and save; until then every page lists them")
            self.problems = problems
            return dict(self.last_good or stand_in_pages(self.project.faq_prefix))
        self.problems = ()
        for line in built.failures:
            log.warning(line)
        for note in built.notes:
            log.info(note)
        self.last_good = built.pages
        return built.pages

    def on_page_markdown(self, markdown: str, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str:
        """While serving invalid content, put the problems at the top of every page."""
        if not self.problems:
            return markdown
        return problems_notice(list(self.problems), last_good=self.last_good is not None) + markdown
