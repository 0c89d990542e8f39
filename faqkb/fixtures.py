"""Named fixtures: key and certificate files written fresh into a sandbox.

Importing this module is cheap; ``cryptography`` is only imported when files are made.
PASSPHRASE is the pass phrase of every encrypted fixture.
"""

from __future__ import annotations

from dataclasses import dataclass

PASSPHRASE = "secret"


@dataclass(frozen=True)
class FixtureSpec:
    """What one fixture writes and what it is for."""

    files: tuple[str, ...]
    description: str


FIXTURES: dict[str, FixtureSpec] = {
    "ca": FixtureSpec(("ca.crt",), "the test root CA certificate (trusted by the reference server)"),
    "ca-key": FixtureSpec(("ca.crt", "ca.key"), "the test root CA certificate and its key"),
    "intermediate": FixtureSpec(("intermediate.crt",), "the intermediate CA certificate"),
    "server": FixtureSpec(
        ("server.key", "server.crt", "chain.crt", "fullchain.crt"),
        "server key, leaf certificate for localhost, its intermediate, and leaf+intermediate",
    ),
    "encrypted-key": FixtureSpec(
        ("server.key", "server.crt"),
        f"server key encrypted with the pass phrase {PASSPHRASE!r}, and its certificate",
    ),
    "csr": FixtureSpec(("server.key", "server.csr"), "a server key and a CSR for localhost"),
    "other-key": FixtureSpec(("other.key",), "a key that matches no certificate"),
    "client": FixtureSpec(
        ("client.key", "client.crt", "client.p12"),
        f"a client certificate from the test CA (PKCS#12 pass phrase {PASSPHRASE!r})",
    ),
    "self-signed": FixtureSpec(("selfsigned.key", "selfsigned.crt"), "a self-signed certificate"),
    "expired": FixtureSpec(("expired.key", "expired.crt"), "an expired certificate for localhost"),
    "weak-key": FixtureSpec(("weak.key", "weak.crt"), "a 1024-bit RSA key and its certificate"),
}
