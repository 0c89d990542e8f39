"""Names of the reference server's scenarios (cheap to import: no ssl, no cryptography)."""

from __future__ import annotations

from dataclasses import dataclass

SCENARIOS: dict[str, str] = {
    "default": "a full chain from the test CA, names localhost and 127.0.0.1",
    "self-signed": "a self-signed certificate",
    "expired": "a certificate whose validity ended",
    "wrong-host": "a valid certificate for another name (wrong.example)",
    "untrusted-root": "a chain to a root the client does not trust",
    "incomplete-chain": "the leaf without its intermediate",
    "client-cert-required": "asks for and requires a client certificate from the test CA",
    "no-shared-cipher": "a cipher list that shares nothing with a default client",
    "tls12-only": "TLS 1.2 at most",
    "sni": "several names on one address, chosen by SNI",
    "plain-http": "plain HTTP, no TLS",
}

#: The one cipher the ``no-shared-cipher`` scenario accepts (TLS 1.2 at most). OpenSSL 3 leaves
#: it out of ``DEFAULT`` but allows it at security level 2, so a default client shares nothing
#: with the server while ``openssl s_client -tls1_2 -cipher X`` or ``curl --ciphers X`` connects.
NO_SHARED_CIPHER_CIPHER = "ECDHE-RSA-CAMELLIA256-SHA384"

#: Virtual host names of the ``sni`` scenario; a client sending another name (or none) gets
#: the first vhost's certificate, as with httpd's name-based virtual hosts.
SNI_NAMES: tuple[str, ...] = ("localhost", "www.example.com", "shop.example.com")


@dataclass(frozen=True)
class ScenarioInfo:
    """How one scenario behaves, for entry authors and the runner."""

    tls: bool
    names: tuple[str, ...]
    client_sees: str


SCENARIO_INFO: dict[str, ScenarioInfo] = {
    "default": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                            "leaf + intermediate; verifies against ca.crt (Verify return code: 0)"),
    "self-signed": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                                "the self-signed fixture certificate: 'self-signed certificate'"),
    "expired": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                            "the expired fixture certificate: 'certificate has expired'"),
    "wrong-host": ScenarioInfo(True, ("wrong.example",),
                               "a valid chain for wrong.example: curl 'no alternative certificate "
                               "subject name matches target host name'"),
    "untrusted-root": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                                   "leaf + the untrusted root: 'self-signed certificate in "
                                   "certificate chain'"),
    "incomplete-chain": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                                     "the leaf without its intermediate: 'unable to get local "
                                     "issuer certificate'"),
    "client-cert-required": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                                         "without a client cert: 'alert certificate required'; "
                                         "with the client fixture: 200"),
    "no-shared-cipher": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                                     "handshake failure; server log 'no shared cipher'; "
                                     f"fix: -tls1_2 -cipher {NO_SHARED_CIPHER_CIPHER}"),
    "tls12-only": ScenarioInfo(True, ("localhost", "127.0.0.1"),
                               "TLSv1.2; -tls1_3 fails with 'tlsv1 alert protocol version'"),
    "sni": ScenarioInfo(True, SNI_NAMES, "the certificate of the name sent with -servername"),
    "plain-http": ScenarioInfo(False, ("localhost",),
                               "plain HTTP; TLS clients see 'wrong version number'"),
}
