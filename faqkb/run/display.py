"""Live text back into the reader's terms: sandbox paths and ephemeral ports become what the
page shows, so outputs and expectations read as a reader's own terminal would.

The rule, applied to every captured stream and server log before anything sees it
(expectations, the page, the search index, reports):

1. the reference server's CA file (the live ``{{ cafile }}`` of a command with a scenario)
   reads as the page shows the placeholder, ``ca.crt``; the reader paths of an entry's httpd
   (``httpd.conf`` for its config file, ``/var/www/html``, ``/usr/lib/apache2/modules``, ...
   and its own ``httpd.paths``), longest first;
2. the sandbox's home directory becomes the reader's home (``reader_home``, ``/home/user``),
   its temporary directory ``/tmp``, and the sandbox directory itself the reader's working
   directory (``reader_dir``, ``/home/user/demo``): ``git init`` prints
   ``Initialized empty Git repository in /home/user/demo/.git/`` and ``pwd`` prints
   ``/home/user/demo``;
3. live ports become the reader's (``443``, ``80``), and ``https://localhost:443/`` loses the
   default port.

Paths are replaced where they occur, whole (a sandbox path is unique: nothing else matches).
"""

from __future__ import annotations

import re
from pathlib import Path

from faqkb import placeholders

_DEFAULT_PORT_URL = re.compile(r"\b(https://localhost):443\b|\b(http://localhost):80\b")
#: The sandbox's home and temporary directories (see :func:`faqkb.run.shell.sandbox_env`).
HOME_DIR = ".home"
TMP_DIR = ".tmp"


class Display:
    """Turns live text (sandbox paths, ephemeral ports) back into what the reader sees."""

    def __init__(self, box: Path, reader_dir: str = "/home/user/demo",
                 reader_home: str = "/home/user") -> None:
        self.box = str(box)
        self.reader_dir = reader_dir
        self.ports: dict[str, str] = {}
        self.paths: list[tuple[str, str]] = []
        self.base = [(f"{self.box}/{HOME_DIR}", reader_home), (f"{self.box}/{TMP_DIR}", "/tmp"),
                     (self.box, reader_dir)]

    def add_paths(self, pairs: list[tuple[str, str]]) -> None:
        """Sandbox-relative dirs and the reader paths they stand for (longest first wins)."""
        self.paths.extend((f"{self.box}/{rel}", reader) for rel, reader in pairs if rel)
        self.paths.sort(key=lambda p: -len(p[0]))

    def add_file(self, live: str, shown: str) -> None:
        """A file a placeholder names (``{{ cafile }}``): its live path reads as the page shows
        the placeholder (``ca.crt``), as the reader typed it."""
        self.paths.append((live, shown))
        self.paths.sort(key=lambda p: -len(p[0]))

    def add_server(self, live: dict[str, str], shown: dict[str, str]) -> None:
        """The live ports of a server and the reader's (``443``) they stand for."""
        for name in ("port", "http_port"):
            if name in live and name in shown:
                self.ports[live[name]] = shown[name]
        for name, port in live.items():  # port_8443: another port of httpd's, read as 8443
            if (reader := placeholders.other_port(name)) is not None:
                self.ports[port] = str(reader)

    def __call__(self, text: str) -> str:
        for live, reader in [*self.paths, *self.base]:
            text = text.replace(live, reader)
        for live, shown in self.ports.items():
            text = re.sub(rf"(?<=[:\s]){live}\b", shown, text)
        # A reader's URLs carry no default port: https://localhost:443/ is https://localhost/.
        return _DEFAULT_PORT_URL.sub(lambda m: m.group(1) or m.group(2), text)
