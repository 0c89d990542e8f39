"""Names of the reference server's scenarios (cheap to import: no ssl, no cryptography)."""

from __future__ import annotations

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
