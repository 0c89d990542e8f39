"""MkDocs plugin: a thin shell that hands faqkb's rendered pages to MkDocs.

``plugins: [faqkb]`` in mkdocs.yml is all a site needs: the plugin adds the Markdown
extensions the pages use, faqkb's stylesheet and script, and strict link checks itself. Invalid content
stops the build with every problem listed; a command that fails verification is a warning
(fatal with ``mkdocs build --strict``). Under ``mkdocs serve`` invalid content does not stop
the server: the problems are printed and shown on every page above the last good build.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import jinja2
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from faqkb.errors import ContentError, FaqkbError
from faqkb.load.strays import YAML_SUFFIXES, looks_like_entry_file
from faqkb.model import SNAP_SUFFIX
from faqkb.pipeline.builder import build
from faqkb.pipeline.postbuild import add_to_search_index, open_graph, prune_assets
from faqkb.pipeline.sitebuild import offline_requested, plugin_overrides
from faqkb.project import Project, read_config
from faqkb.render.pages import (
    LANDING,
    LANDING_MARKER,
    PAGE_DATA,
    landing_page,
    problems_notice,
    site_pages,
    stand_in_pages,
    with_landing,
)
from faqkb.render.style import SCRIPT_URI, STYLESHEET_URI, WORKER_SHIM_URI, script, stylesheet, worker_shim

log = logging.getLogger("mkdocs.plugins.faqkb")

#: The Markdown extensions the rendered pages rely on (see faqkb/render/templates): heading
#: ids and classes, Markdown inside the command <div>s, the "Also asked as" and "Then and now"
#: blocks, fences inside them, highlighted console blocks, and the ids links point at.
EXTENSIONS = ("attr_list", "md_in_html", "admonition", "pymdownx.details", "pymdownx.superfences",
              "pymdownx.highlight", "toc")
#: Link checks a strict build should fail on (MkDocs only logs them at INFO by default): a
#: page whose heading ids were not made, say, links to anchors that are not there.
STRICT_LINKS = ("anchors", "unrecognized_links")


#: The legacy page in the site's theme (header, search, navigation, footer): its own <head> lines
#: (the forwarding script, robots) and body go into the theme's main.html as data, never as
#: template text, so nothing an old anchor or question holds is read as Jinja.
LEGACY_IN_THEME = """{% extends "main.html" %}
{% block htmltitle %}<title>{{ faqkb_legacy.title | safe }}</title>{% endblock %}
{% block extrahead %}{{ super() }}{{ faqkb_legacy.head | safe }}{% endblock %}
{% block content %}{{ faqkb_legacy.body | safe }}{% endblock %}
"""


def legacy_parts(page: str) -> dict[str, str] | None:
    """The title, <head> lines and body of the standalone legacy page (a team's own
    legacy.html.j2 too), or None when it is not one whole HTML page to put into the theme."""
    head = re.search(r"<head[^>]*>(.*?)</head>", page, re.S | re.I)
    body = re.search(r"<body[^>]*>(.*)</body>", page, re.S | re.I)
    if head is None or body is None:
        return None
    title = re.search(r"<title[^>]*>(.*?)</title>", head.group(1), re.S | re.I)
    # The theme's own charset and title stay; the rest (the forwarding script) must come first.
    lines = re.sub(r"<title[^>]*>.*?</title>|<meta\s+charset[^>]*>", "", head.group(1),
                   flags=re.S | re.I).strip()
    return {"title": title.group(1).strip() if title else "", "head": lines, "body": body.group(1).strip()}


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
    #: Entry ids the landing block lists as the most asked (default: each section's first).
    most_asked = c.Optional(c.ListOfItems(c.Type(str)))


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
    #: Material's offline plugin, run by this one for `faqkb build --offline`.
    offline: BasePlugin[Any] | None = None
    #: The landing block of the last build, and what search adds per question page (by URL).
    landing = ""
    search_extras: dict[str, dict[str, str]] = {}  # noqa: RUF012 - replaced, never changed

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
        if offline_requested(dict(os.environ)):
            self._go_offline(config)  # first: it switches to .html URLs, which faqkb's links follow
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
        legacy = self.config.legacy_page
        if legacy and legacy.endswith((".html", ".htm")):
            config.theme.static_templates.add(legacy)  # in the theme: see on_env
        return config

    def on_env(self, env: jinja2.Environment, *, config: MkDocsConfig, files: Files) -> jinja2.Environment:
        """Render the legacy page with the site's theme (its static copy is the fallback)."""
        legacy = self.config.legacy_page
        if not legacy or legacy not in config.theme.static_templates:
            return env
        page = files.get_file_from_path(legacy)
        parts = legacy_parts(page.content_string) if page is not None else None
        if parts is None or env.loader is None:
            config.theme.static_templates.discard(legacy)
            return env
        env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({legacy: LEGACY_IN_THEME}), env.loader])
        env.globals["faqkb_legacy"] = parts
        return env

    def _go_offline(self, config: MkDocsConfig) -> None:
        """Set up a site that works from ``file://``: Material's offline plugin (.html URLs, the
        search index as a script) unless mkdocs.yml lists it, with faqkb's copy of the Web
        Worker shim the plugin would otherwise load from a CDN, which an offline reader cannot."""
        polyfills = config.extra.setdefault("polyfills", [])
        if WORKER_SHIM_URI not in polyfills:
            polyfills.append(WORKER_SHIM_URI)
        if not any(name in config.plugins for name in ("offline", "material/offline")):
            from material.plugins.offline.plugin import OfflinePlugin  # type: ignore[import-untyped]

            self.offline = OfflinePlugin()
            errors, _ = self.offline.load_config({"enabled": True})
            if errors:  # pragma: no cover - an empty configuration has no errors
                raise PluginError(f"Material's offline plugin: {errors}")
            self.offline.on_config(config)
        config.use_directory_urls = False

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
        assets = [(STYLESHEET_URI, stylesheet), (SCRIPT_URI, script)]
        if WORKER_SHIM_URI in config.extra.get("polyfills", ()):
            assets.append((WORKER_SHIM_URI, worker_shim))
        for uri, text in assets:
            if files.get_file_from_path(uri) is None:  # a team's own copy wins
                files.append(File.generated(config, uri, content=text()))
        pages = self._pages()
        self.landing = pages.get(LANDING, "")
        data: dict[str, dict[str, str]] = json.loads(pages.get(PAGE_DATA, "{}"))
        for uri, content in site_pages(pages).items():
            existing = files.get_file_from_path(uri)
            if existing is not None:
                files.remove(existing)
            # A question's page is reached from its section's list, not from the nav: MkDocs
            # need not list each one as missing from it.
            inclusion = InclusionLevel.NOT_IN_NAV if uri in data else InclusionLevel.UNDEFINED
            files.append(File.generated(config, uri, content=content, inclusion=inclusion))
        if files.get_file_from_path("index.md") is None and self.landing:
            # No home page of the team's own: the landing block is the home page.
            files.append(File.generated(config, "index.md",
                                        content=landing_page(config.site_name, self.landing)))
        self.search_extras = {}
        for uri, extra in data.items():
            page = files.get_file_from_path(uri)
            if page is None:
                continue
            self.search_extras[page.url] = extra
            # "Edit this page" opens the entry's YAML file, not the page made from it.
            source = self.project.faq_dir / extra.get("source", "")
            if extra.get("source") and source.is_relative_to(self.project.docs_dir):
                page.edit_uri = source.relative_to(self.project.docs_dir).as_posix()
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
        """The landing block where the team's home page asks for it; while serving invalid
        content, the problems at the top of every page."""
        if page.file.src_uri == "index.md" and LANDING_MARKER in markdown:
            markdown = with_landing(markdown, self.landing)
        if not self.problems:
            return markdown
        return problems_notice(list(self.problems), last_good=self.last_good is not None) + markdown

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Open Graph tags: a shared link shows the page's title and description."""
        description = str(page.meta.get("description") or config.site_description or "")
        return open_graph(output, title=page.title or config.site_name, description=description,
                          url=page.canonical_url, site_name=config.site_name)

    @event_priority(-100)  # after the search plugin has written its index, whatever the order
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Put the questions' aliases and matched error lines into the search index (weighted,
        not shown), and remove the source maps and unused search languages. Offline builds:
        then Material's offline plugin inlines that finished index into a script."""
        site = Path(config.site_dir)
        add_to_search_index(site, getattr(self, "search_extras", {}))
        search = config.plugins.get("material/search") or config.plugins.get("search")
        langs = getattr(search, "config", {}).get("lang") or ["en"] if search is not None else ["en"]
        prune_assets(site, [str(lang) for lang in langs])
        if self.offline is not None:
            self.offline.on_post_build(config=config)
