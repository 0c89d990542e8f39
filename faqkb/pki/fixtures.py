"""Named fixtures: key and certificate files written fresh into a sandbox.

Importing this module is cheap; ``cryptography`` is only imported when files are made.
PASSPHRASE is the pass phrase of every encrypted fixture.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the PKI imports cryptography: only when files are really made
    from faqkb.pki.authority import Pki

PASSPHRASE = "secret"


Files = dict[str, bytes]


@dataclass(frozen=True)
class FixtureSpec:
    """What one fixture writes, what it is for, and how its files are made."""

    files: tuple[str, ...]
    description: str
    #: The file name -> bytes of :attr:`files`, made from the run's PKI.
    make: Callable[[Pki], Files]


def _server(pki: Pki) -> Files:
    leaf = pki.leaf("server")
    return {"server.key": leaf.key_pem(), "server.crt": leaf.cert_pem(),
            "chain.crt": leaf.chain_pem(), "fullchain.crt": leaf.fullchain_pem()}


def _encrypted_key(pki: Pki) -> Files:
    # Same key and certificate as "server": stripping the pass phrase gives server.key back.
    leaf = pki.leaf("server")
    return {"server.key": leaf.key_pem(PASSPHRASE), "server.crt": leaf.cert_pem()}


def _other_key(pki: Pki) -> Files:
    # A pooled key no certificate of the PKI is made for.
    from cryptography.hazmat.primitives import serialization

    key = pki.key("other")
    return {"other.key": key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption())}


def _client(pki: Pki) -> Files:
    leaf = pki.leaf("client")
    return {"client.key": leaf.key_pem(), "client.crt": leaf.cert_pem(),
            "client.p12": leaf.pkcs12(PASSPHRASE, [pki.root.cert])}


def _pair(leaf_name: str, stem: str) -> Callable[[Pki], Files]:
    """A leaf's key and certificate as ``STEM.key`` and ``STEM.crt``."""
    def make(pki: Pki) -> Files:
        leaf = pki.leaf(leaf_name)
        return {f"{stem}.key": leaf.key_pem(), f"{stem}.crt": leaf.cert_pem()}
    return make


FIXTURES: dict[str, FixtureSpec] = {
    "ca": FixtureSpec(("ca.crt",), "the test root CA certificate (trusted by the reference server)",
                      lambda pki: {"ca.crt": pki.root.cert_pem()}),
    "ca-key": FixtureSpec(("ca.crt", "ca.key"), "the test root CA certificate and its key",
                          lambda pki: {"ca.crt": pki.root.cert_pem(), "ca.key": pki.root.key_pem()}),
    "intermediate": FixtureSpec(("intermediate.crt",), "the intermediate CA certificate",
                                lambda pki: {"intermediate.crt": pki.intermediate.cert_pem()}),
    "server": FixtureSpec(
        ("server.key", "server.crt", "chain.crt", "fullchain.crt"),
        "server key, leaf certificate for localhost, its intermediate, and leaf+intermediate",
        _server,
    ),
    "encrypted-key": FixtureSpec(
        ("server.key", "server.crt"),
        f"server key encrypted with the pass phrase {PASSPHRASE!r}, and its certificate",
        _encrypted_key,
    ),
    "csr": FixtureSpec(("server.key", "server.csr"), "a server key and a CSR for localhost",
                       lambda pki: {"server.key": pki.leaf("server").key_pem(), "server.csr": pki.csr()}),
    "other-key": FixtureSpec(("other.key",), "a key that matches no certificate", _other_key),
    "client": FixtureSpec(
        ("client.key", "client.crt", "client.p12"),
        f"a client certificate from the test CA (PKCS#12 pass phrase {PASSPHRASE!r})",
        _client,
    ),
    "self-signed": FixtureSpec(("selfsigned.key", "selfsigned.crt"), "a self-signed certificate",
                               _pair("self-signed", "selfsigned")),
    "expired": FixtureSpec(("expired.key", "expired.crt"), "an expired certificate for localhost",
                           _pair("expired", "expired")),
    "weak-key": FixtureSpec(("weak.key", "weak.crt"), "a 1024-bit RSA key and its certificate",
                            _pair("weak", "weak")),
}


def materialize(names: Iterable[str], dest: Path, pki: Pki) -> list[Path]:
    """Write the files of the named fixtures into ``dest`` and return their paths.

    Files are written fresh (overwriting), mode 0644 -- keys too, because httpd reads them as
    ``nobody`` in the sandbox; this is a throw-away test PKI. Names are applied in order, a
    later fixture overwriting a file of an earlier one. Each returned path appears once.
    Unknown names raise :class:`KeyError` naming the known ones. The bytes are memoised in
    ``pki``, so every sandbox of a run gets the same, matching files.
    """
    names = list(names)
    unknown = [n for n in names if n not in FIXTURES]
    if unknown:
        raise KeyError(f"unknown fixture(s) {unknown}; known: {sorted(FIXTURES)}")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name in names:
        files = pki.cached(f"fixture:{name}", partial(FIXTURES[name].make, pki))
        for fname in FIXTURES[name].files:
            path = dest / fname
            _write(path, files[fname])
            if path not in written:
                written.append(path)
    return written


def _write(path: Path, data: bytes) -> None:
    # Replace rather than write through: a read-only or foreign-owned leftover is not reused.
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.chmod(path, 0o644)  # the umask may have taken bits away
