"""Live text back into the reader's terms: sandbox paths and ephemeral ports become what the
page shows (``httpd.conf``, ``/etc/ssl/...``, ``localhost:443``), so outputs and expectations
read as a reader's own terminal would."""

from __future__ import annotations

import re
from pathlib import Path

_DEFAULT_PORT_URL = re.compile(r"\b(https://localhost):443\b|\b(http://localhost):80\b")


class Display:
    """Turns live text (sandbox paths, ephemeral ports) back into what the reader sees."""

    def __init__(self, box: Path) -> None:
        self.box = str(box)
        self.ports: dict[str, str] = {}
        self.paths: list[tuple[str, str]] = []

    def add_paths(self, pairs: list[tuple[str, str]]) -> None:
        """Sandbox-relative dirs and the reader paths they stand for (longest first wins)."""
        self.paths.extend((f"{self.box}/{rel}", reader) for rel, reader in pairs if rel)
        self.paths.sort(key=lambda p: -len(p[0]))

    def add_server(self, live: dict[str, str], shown: dict[str, str]) -> None:
        for name in ("port", "http_port"):
            if name in live and name in shown:
                self.ports[live[name]] = shown[name]

    def __call__(self, text: str) -> str:
        for live, reader in self.paths:
            text = text.replace(live, reader)
        text = text.replace(self.box + "/", "").replace(self.box, ".")
        for live, shown in self.ports.items():
            text = re.sub(rf"(?<=[:\s]){live}\b", shown, text)
        # A reader's URLs carry no default port: https://localhost:443/ is https://localhost/.
        return _DEFAULT_PORT_URL.sub(lambda m: m.group(1) or m.group(2), text)
