"""MkDocs plugin: a thin shell that hands faqkb's rendered pages to MkDocs.

``plugins: [faqkb]`` in mkdocs.yml. Invalid content stops the build with every
problem listed; a command that fails verification is a warning (fatal with
``mkdocs build --strict``).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files

from faqkb.errors import ContentError, FaqkbError
from faqkb.pipeline.builder import build
from faqkb.pipeline.sitebuild import plugin_overrides
from faqkb.project import Project

log = logging.getLogger("mkdocs.plugins.faqkb")


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class FaqkbConfig(Config):
    """Options of the ``faqkb`` plugin in mkdocs.yml."""

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


class FaqkbPlugin(BasePlugin[FaqkbConfig]):
    """Renders every FAQ entry (verified) into section pages of the site."""

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Resolve the project's paths from the MkDocs config."""
        if threading.current_thread() is threading.main_thread():
            # SIGTERM (a CI cancel, `faqkb build` interrupted, faqkb itself killed) stops a
            # running verification as Ctrl-C does: commands killed, httpds stopped, sandboxes gone.
            signal.signal(signal.SIGTERM, _terminate_as_interrupt)
        root = Path(config.config_file_path).resolve().parent
        self.project = Project.from_settings(
            root,
            Path(config.config_file_path),
            {**self.config, "docs_dir": config.docs_dir, "site_dir": config.site_dir,
             "use_directory_urls": config.use_directory_urls},
        )
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Drop the raw YAML entries from the site and add the rendered pages."""
        prefix = self.project.faq_prefix + "/"
        for f in list(files):
            if f.src_uri.startswith(prefix) and f.src_uri.endswith((".yml", ".yaml")):
                files.remove(f)
        try:
            # `faqkb build` runs MkDocs in a child process and passes its options this way.
            verify, jobs = plugin_overrides(dict(os.environ), self.config.verify, self.config.jobs)
            built = build(
                self.project,
                verify=verify,
                jobs=jobs,
                progress=log.info,
            )
        except ContentError as exc:
            raise PluginError("invalid FAQ content:\n" + str(exc)) from None
        except FaqkbError as exc:
            raise PluginError(str(exc)) from None
        for line in built.failures:
            log.warning(line)
        for note in built.notes:
            log.info(note)
        for uri, content in built.pages.items():
            existing = files.get_file_from_path(uri)
            if existing is not None:
                files.remove(existing)
            files.append(File.generated(config, uri, content=content))
        return files
