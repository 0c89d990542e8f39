"""What every entry of one verification run shares: the test PKI and the reference server.

Both are made on first use, so a run whose entries are all cached (or need no server)
creates neither, and both are torn down when the run ends.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # both import ssl and cryptography: only once an entry really runs
    from faqkb.pki.authority import Pki
    from faqkb.tlsserver.server import Listener, ReferenceServer


class SharedServers(contextlib.AbstractContextManager["SharedServers"]):
    """Creates the PKI and reference server on first use, and tears them down at the end."""

    def __init__(self) -> None:
        self._workdir: Path | None = None
        self._pki: Pki | None = None
        self._server: ReferenceServer | None = None
        self._lock = threading.Lock()

    @property
    def pki(self) -> Pki:
        """The run's test PKI (made on first use; thread-safe)."""
        with self._lock:
            if self._pki is None:
                from faqkb.pki.authority import Pki

                self._workdir = Path(tempfile.mkdtemp(prefix="faqkb-run-"))
                self._pki = Pki(self._workdir)
            return self._pki

    def lease(self, scenario: str) -> Listener:
        """A fresh listener of the run's reference server serving ``scenario``."""
        pki = self.pki
        with self._lock:
            if self._server is None:
                from faqkb.tlsserver.server import ReferenceServer

                self._server = ReferenceServer(pki)
            server = self._server
        return server.lease(scenario)

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
