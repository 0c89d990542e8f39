"""The reference server's scenarios: one registry saying what each one is and how it is made.

Cheap to import (no ssl, no cryptography): the loader checks names against it, the runner
and the page renderer ask whether a scenario speaks TLS, and :mod:`faqkb.tlsserver.contexts`
builds each scenario's TLS context from nothing but its :class:`Scenario` record.
"""

from __future__ import annotations

from dataclasses import dataclass

from faqkb import placeholders

#: The one cipher the ``no-shared-cipher`` scenario accepts (TLS 1.2 at most). OpenSSL 3 leaves
#: it out of ``DEFAULT`` but allows it at security level 2, so a default client shares nothing
#: with the server while ``openssl s_client -tls1_2 -cipher X`` or ``curl --ciphers X`` connects.
NO_SHARED_CIPHER_CIPHER = "ECDHE-RSA-CAMELLIA256-SHA384"

#: Virtual host names of the ``sni`` scenario; a client sending another name (or none) gets
#: the first vhost's certificate, as with httpd's name-based virtual hosts.
SNI_NAMES: tuple[str, ...] = ("localhost", "www.example.com", "shop.example.com")


@dataclass(frozen=True)
class Scenario:
    """One scenario: what a reader is told, and what the server does on its port."""

    name: str
    description: str
    #: False: plain HTTP on the port, no TLS at all.
    tls: bool = True
    #: The test PKI's leaf the server presents (see :class:`faqkb.pki.authority.Pki`).
    leaf: str = "server"
    #: Send the intermediate after the leaf (False: the forgotten SSLCertificateChainFile).
    send_chain: bool = True
    #: Also send the untrusted root, so clients say "self-signed certificate in certificate chain".
    send_untrusted_root: bool = False
    #: Speak TLS 1.2 at most.
    max_tls12: bool = False
    #: The server's cipher list (None: OpenSSL's DEFAULT, as httpd without SSLCipherSuite).
    ciphers: str | None = None
    #: Ask for, and require, a client certificate from the test CA.
    require_client_cert: bool = False
    #: Name-based virtual hosts chosen by SNI: the first gets ``leaf``, each other name its own.
    sni_names: tuple[str, ...] = ()

    @property
    def scheme(self) -> str:
        """``https``, or ``http`` for a plain scenario."""
        return "https" if self.tls else "http"

    @property
    def shown(self) -> dict[str, str]:
        """What the page shows for each placeholder of a command talking to this scenario."""
        return placeholders.NAMES if self.tls else placeholders.PLAIN_HTTP_NAMES


_ALL = (
    Scenario("default", "a full chain from the test CA, names localhost and 127.0.0.1"),
    Scenario("self-signed", "a self-signed certificate", leaf="self-signed", send_chain=False),
    Scenario("expired", "a certificate whose validity ended", leaf="expired", send_chain=False),
    Scenario("wrong-host", "a valid certificate for another name (wrong.example)", leaf="wrong-host"),
    Scenario("untrusted-root", "a chain to a root the client does not trust", leaf="untrusted",
             send_untrusted_root=True),
    Scenario("incomplete-chain", "the leaf without its intermediate", send_chain=False),
    Scenario("client-cert-required", "asks for and requires a client certificate from the test CA",
             require_client_cert=True),
    # TLS 1.3 suites cannot be restricted from Python, so the cipher scenario caps at 1.2.
    Scenario("no-shared-cipher", "a cipher list that shares nothing with a default client",
             max_tls12=True, ciphers=NO_SHARED_CIPHER_CIPHER),
    Scenario("tls12-only", "TLS 1.2 at most", max_tls12=True),
    Scenario("sni", "several names on one address, chosen by SNI", sni_names=SNI_NAMES),
    Scenario("plain-http", "plain HTTP, no TLS", tls=False),
)

#: Every scenario by name, in the order ``faqkb serve-tls --list`` shows them.
SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}


def shown_names(scenario: str | None) -> dict[str, str]:
    """What the page shows for placeholders of a command with this scenario (httpd and none:
    the TLS names, ``https://localhost/``)."""
    known = SCENARIOS.get(scenario or "")
    return known.shown if known else placeholders.NAMES
