"""The server side of each TLS scenario: which certificate, which chain, which limits.

:class:`ScenarioContexts` makes one :class:`ssl.SSLContext` per scenario of
:mod:`faqkb.tlsserver.scenarios`, from the build's :class:`~faqkb.pki.authority.Pki`, and keeps it for
the life of the :class:`~faqkb.tlsserver.server.ReferenceServer` that owns it. It also
answers what a connection needs for mod_ssl's ``SSL_*`` variables: the leaf a context serves
(:meth:`ScenarioContexts.leaf_for`), a cipher's key size (:func:`alg_bits`) and the SNI name
the client sent (:func:`sni_sent`).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from faqkb.tlsserver import ca_names
from faqkb.tlsserver.scenarios import SCENARIOS, Scenario

if TYPE_CHECKING:
    from faqkb.pki.authority import Issued, Pki

class ScenarioContexts:
    """The server-side TLS contexts of one reference server, made on first use and kept.

    ``get(scenario)`` is safe to call from any thread.
    """

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()  # guards _contexts
        self._make_lock = threading.Lock()  # one context made at a time
        self._leaves: dict[int, Issued] = {}
        #: Why client-certificate requests name no CA (None: they name the test CA).
        self.ca_names_problem: str | None = None

    def get(self, scenario: str) -> ssl.SSLContext:
        """The context serving ``scenario`` (a TLS scenario, not ``plain-http``)."""
        # Made once per server (contexts are thread-safe and share session tickets, so
        # resumption works across connections); the lock keeps two leases from racing.
        with self._lock:
            ctx = self._contexts.get(scenario)
        if ctx is None:
            with self._make_lock:
                ctx = self._contexts.get(scenario) or self._make(scenario)
                with self._lock:
                    self._contexts[scenario] = ctx
        return ctx

    def leaf_for(self, ctx: ssl.SSLContext) -> Issued:
        """The leaf certificate ``ctx`` serves (for SNI: the context the client's name chose)."""
        return self._leaves[id(ctx)]

    def _make(self, name: str) -> ssl.SSLContext:
        scenario: Scenario = SCENARIOS[name]
        if scenario.sni_names:
            first = scenario.sni_names[0]
            contexts = {n: self._new(scenario.leaf if n == first else f"host:{n}", scenario.send_chain)
                        for n in scenario.sni_names}
            default = contexts[first]

            def pick(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None,
                     ctx: ssl.SSLContext) -> None:
                _record_sni(sock, name, ctx)
                if name in contexts:  # unknown names fall back to the first vhost, as httpd
                    sock.context = contexts[name]

            default.sni_callback = pick
            return default
        extra = self.pki.untrusted_root.cert_pem() if scenario.send_untrusted_root else b""
        ctx = self._new(scenario.leaf, scenario.send_chain, extra=extra)
        if scenario.require_client_cert:
            ctx.verify_mode = ssl.CERT_REQUIRED
            # Trusts the test CA and, like httpd's SSLCACertificateFile, names it in the
            # CertificateRequest (see ca_names for how, Python's ssl having no API for it).
            ctx.load_verify_locations(cafile=str(self.pki.cafile))
            self.ca_names_problem = ca_names.send_ca_names(ctx, self.pki.cafile)
        if scenario.max_tls12:
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        if scenario.ciphers:
            ctx.set_ciphers(scenario.ciphers)
        return ctx

    def _new(self, leaf_name: str, send_chain: bool, extra: bytes = b"") -> ssl.SSLContext:
        issued = self.pki.leaf(leaf_name)
        stem = leaf_name.replace(":", "_") + ("-chain" if send_chain else "") + ("-x" if extra else "")

        def write() -> tuple[Path, Path]:
            # Once per Pki: servers sharing a Pki must not rewrite a file another is loading.
            d = self.pki.workdir / "tlsserver"
            d.mkdir(parents=True, exist_ok=True)
            cert, key = d / f"{stem}.crt", d / f"{stem}.key"
            cert.write_bytes((issued.fullchain_pem() if send_chain else issued.cert_pem()) + extra)
            key.touch(mode=0o600)
            key.write_bytes(issued.key_pem())
            return cert, key

        cert, key = self.pki.cached(f"tlsserver-files:{stem}", write)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_ciphers("DEFAULT")  # OpenSSL's own default, as httpd without SSLCipherSuite
        ctx.load_cert_chain(str(cert), str(key))
        ctx.sni_callback = _record_sni
        self._leaves[id(ctx)] = issued
        return ctx


def alg_bits(ctx: ssl.SSLContext, name: str, default: int) -> int:
    """The key size of cipher ``name`` as ``ctx`` lists it (``SSL_CIPHER_ALGKEYSIZE``)."""
    for c in ctx.get_ciphers():
        if c["name"] == name:
            return int(c.get("alg_bits", default))
    return default


def sni_sent(sock: ssl.SSLSocket) -> str | None:
    """The SNI name the client sent on ``sock``, or None (recorded during the handshake)."""
    return getattr(sock, "faqkb_sni", None)


def hello_received(sock: socket.socket) -> bool:
    """True once the server has read the client's whole ClientHello on ``sock`` (the SNI
    callback, which records the name, runs for every ClientHello, with a name or without)."""
    return hasattr(sock, "faqkb_sni")


def _record_sni(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None,
                ctx: ssl.SSLContext) -> None:
    """Remember the SNI name the client sent (Python has no getter for it on the server)."""
    with contextlib.suppress(AttributeError):
        sock.faqkb_sni = name  # type: ignore[union-attr]
