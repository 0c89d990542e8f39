"""A throw-away test PKI: a root CA, an intermediate, an untrusted second root, and leaves.

One :class:`Pki` serves one verification run. Everything is made lazily and memoised, so
nothing is generated that nobody asked for. RSA key generation is the expensive part (tens
to hundreds of milliseconds per 2048-bit key), so keys come from a small pool of *roles*
(``"server"``, ``"client"``, ...) generated once per Pki and reused by every certificate of
that role; signing certificates is cheap. All methods are thread-safe: the runner verifies
entries in parallel threads.

Names used for certificates (see :meth:`Pki.leaf`):

==================  ==========================================================================
``server``          localhost + 127.0.0.1, signed by the intermediate (serverAuth)
``client``          a client certificate signed by the root CA (clientAuth)
``self-signed``     localhost + 127.0.0.1, self-signed (what ``openssl req -x509`` makes)
``expired``         localhost + 127.0.0.1, signed by the root CA, validity entirely in the past
``weak``            localhost + 127.0.0.1, 1024-bit key, signed by the root CA
``wrong-host``      wrong.example only, signed by the intermediate
``untrusted``       localhost + 127.0.0.1, signed by the untrusted second root
``host:NAME``       NAME only (SNI virtual hosts), signed by the intermediate
==================  ==========================================================================
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

T = TypeVar("T")

#: Organisation name in every subject of the test PKI.
ORG = "faqkb Test PKI"
ROOT_CN = "faqkb Test Root CA"
INTERMEDIATE_CN = "faqkb Test Intermediate CA"
UNTRUSTED_ROOT_CN = "faqkb Untrusted Root CA"
#: The names an ordinary leaf is valid for (SAN DNS + IP).
LOCAL_NAMES: tuple[str, ...] = ("localhost", "127.0.0.1")

#: Key size per key role; every role not listed is RSA 2048.
_KEY_BITS = {"weak": 1024}


@dataclass(frozen=True)
class Issued:
    """A private key and its certificate, with the CA certificates between it and its root.

    ``chain`` holds the intermediates only (never the root): what a server sends after its leaf.
    """

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()

    def key_pem(self, passphrase: str | None = None) -> bytes:
        """The key as PKCS#8 PEM (what OpenSSL 3 writes); encrypted when a pass phrase is given."""
        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)

    def cert_pem(self) -> bytes:
        """The certificate alone, PEM."""
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def chain_pem(self) -> bytes:
        """The intermediates, PEM (empty for a cert issued by a root)."""
        return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in self.chain)

    def fullchain_pem(self) -> bytes:
        """Leaf followed by its intermediates: what a server presents."""
        return self.cert_pem() + self.chain_pem()

    def pkcs12(self, passphrase: str, ca_certs: Iterable[x509.Certificate] = ()) -> bytes:
        """A PKCS#12 bundle (key, cert, CA certs) that OpenSSL 3 ``openssl pkcs12`` reads.

        AES-256-CBC with PBKDF2 and a SHA-256 MAC: the OpenSSL 3 defaults, so no ``-legacy``.
        """
        enc = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(2048)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(passphrase.encode())
        )
        cas = [*self.chain, *ca_certs]
        return pkcs12.serialize_key_and_certificates(
            b"faqkb client", self.key, self.cert, cas or None, enc
        )

    @property
    def subject(self) -> str:
        """Subject DN in RFC 2253/4514 form (mod_ssl's ``SSL_*_S_DN`` format)."""
        return self.cert.subject.rfc4514_string()

    @property
    def issuer(self) -> str:
        """Issuer DN in RFC 2253/4514 form."""
        return self.cert.issuer.rfc4514_string()


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def _now() -> _dt.datetime:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0)


class Pki:
    """The test PKI of one verification run, generated lazily under ``workdir``.

    ``Pki(workdir)`` costs nothing; keys and certificates are made on first use and reused.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self._memo: dict[str, object] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    # -- memoisation -------------------------------------------------------------------------
    def cached(self, key: str, factory: Callable[[], T]) -> T:
        """Return the value memoised under ``key``, computing it once with ``factory``.

        Thread-safe with one lock per key, so two threads making *different* things (a key and
        a certificate of another role) do not wait for each other. Factories may call
        :meth:`cached` for other keys (a leaf asks for its issuer) but never for their own.
        """
        with self._guard:
            if key in self._memo:
                return self._memo[key]  # type: ignore[return-value]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                value = factory()
                with self._guard:
                    self._memo[key] = value
        return self._memo[key]  # type: ignore[return-value]

    # -- keys --------------------------------------------------------------------------------
    def key(self, role: str) -> rsa.RSAPrivateKey:
        """The pooled RSA key of ``role`` (2048-bit; 1024-bit for ``"weak"``), made once."""
        bits = _KEY_BITS.get(role, 2048)
        return self.cached(
            f"key:{role}", lambda: rsa.generate_private_key(public_exponent=65537, key_size=bits)
        )

    # -- CAs ---------------------------------------------------------------------------------
    @property
    def root(self) -> Issued:
        """The trusted root CA ("faqkb Test Root CA")."""
        return self.cached("ca:root", lambda: self._make_root(ROOT_CN, "root"))

    @property
    def untrusted_root(self) -> Issued:
        """A second root CA that no client trusts (the ``untrusted-root`` scenario)."""
        return self.cached(
            "ca:untrusted", lambda: self._make_root(UNTRUSTED_ROOT_CN, "untrusted-root")
        )

    @property
    def intermediate(self) -> Issued:
        """The intermediate CA, signed by :attr:`root`; ``chain`` is empty (its issuer is a root)."""

        def make() -> Issued:
            key = self.key("intermediate")
            cert = self._build(
                subject=_name(INTERMEDIATE_CN),
                key=key,
                issuer=self.root,
                ca_path_len=0,
            )
            return Issued(key, cert)

        return self.cached("ca:intermediate", make)

    @property
    def cafile(self) -> Path:
        """``workdir/ca.crt``: the root CA certificate clients trust (``curl --cacert``)."""

        def write() -> Path:
            self.workdir.mkdir(parents=True, exist_ok=True)
            path = self.workdir / "ca.crt"
            path.write_bytes(self.root.cert_pem())
            return path

        return self.cached("file:cafile", write)

    # -- leaves ------------------------------------------------------------------------------
    def leaf(self, name: str) -> Issued:
        """The named leaf certificate (see the module docstring), made once and reused."""
        return self.cached(f"leaf:{name}", lambda: self._make_leaf(name))

    def issue(
        self,
        names: Iterable[str],
        *,
        key_role: str = "server",
        issuer: Issued | None = None,
        client: bool = False,
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
        common_name: str | None = None,
    ) -> Issued:
        """Sign a new leaf for ``names`` (not memoised).

        ``issuer`` defaults to the intermediate. ``Issued.chain`` is what a server sends after
        the leaf (the issuer and its own chain, roots left out). Validity defaults to
        now-1 day .. now+365 days. ``names`` empty (client certificates) means no SAN.
        """
        names = tuple(names)
        issuer = issuer or self.intermediate
        key = self.key(key_role)
        cert = self._build(
            subject=_name(common_name or (names[0] if names else "faqkb client")),
            key=key,
            issuer=issuer,
            names=names,
            client=client,
            not_before=not_before,
            not_after=not_after,
        )
        # The issuer's own chain plus the issuer itself, unless the issuer is a root.
        chain = () if issuer.cert.issuer == issuer.cert.subject else (issuer.cert, *issuer.chain)
        return Issued(key, cert, chain)

    def csr(self, names: Iterable[str] = LOCAL_NAMES, key_role: str = "server") -> bytes:
        """A PEM certificate signing request for ``names`` (CN = the first), with SAN."""
        names = tuple(names)
        req = (
            x509.CertificateSigningRequestBuilder()
            .subject_name(_name(names[0]))
            .add_extension(_san(names), critical=False)
            .sign(self.key(key_role), hashes.SHA256())
        )
        return req.public_bytes(serialization.Encoding.PEM)

    # -- internals ---------------------------------------------------------------------------
    def _make_root(self, cn: str, key_role: str) -> Issued:
        key = self.key(key_role)
        return Issued(key, self._build(subject=_name(cn), key=key, issuer=None, ca_path_len=None,
                                       ca=True))

    def _make_leaf(self, name: str) -> Issued:
        now = _now()
        if name == "server":
            return self.issue(LOCAL_NAMES)
        if name == "client":
            return self.issue((), key_role="client", issuer=self.root, client=True,
                              common_name="faqkb Test Client")
        if name == "self-signed":
            key = self.key("alt")
            # Like `openssl req -x509`: CA:TRUE, issuer = subject; valid for the local names so
            # that trusting the certificate itself (curl --cacert selfsigned.crt) works.
            cert = self._build(subject=_name("localhost"), key=key, issuer=None, ca=True,
                               ca_path_len=None, names=LOCAL_NAMES)
            return Issued(key, cert)
        if name == "expired":
            return self.issue(LOCAL_NAMES, key_role="alt", issuer=self.root,
                              not_before=now - _dt.timedelta(days=400),
                              not_after=now - _dt.timedelta(days=30))
        if name == "weak":
            return self.issue(LOCAL_NAMES, key_role="weak", issuer=self.root)
        if name == "wrong-host":
            return self.issue(("wrong.example",))
        if name == "untrusted":
            return self.issue(LOCAL_NAMES, issuer=self.untrusted_root)
        if name.startswith("host:") and len(name) > 5:
            return self.issue((name[5:],))
        raise KeyError(f"unknown leaf {name!r}")

    def _build(
        self,
        *,
        subject: x509.Name,
        key: rsa.RSAPrivateKey,
        issuer: Issued | None,
        names: Iterable[str] = (),
        client: bool = False,
        ca: bool | None = None,
        ca_path_len: int | None = None,
        not_before: _dt.datetime | None = None,
        not_after: _dt.datetime | None = None,
    ) -> x509.Certificate:
        """Build and sign one certificate. ``issuer=None`` means self-signed."""
        now = _now()
        is_ca = ca if ca is not None else (ca_path_len is not None)
        signer_key = issuer.key if issuer else key
        issuer_name = issuer.cert.subject if issuer else subject
        pub = key.public_key()
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before or now - _dt.timedelta(days=1))
            .not_valid_after(not_after or now + _dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=is_ca, path_length=ca_path_len), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
        )
        if issuer is not None:
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
                critical=False,
            )
        is_leaf_with_names = bool(names) or client
        if is_ca and not is_leaf_with_names:
            b = b.add_extension(_key_usage(ca=True), critical=True)
        elif not is_ca:
            b = b.add_extension(_key_usage(ca=False), critical=True)
            eku = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
            b = b.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        if names:
            b = b.add_extension(_san(names), critical=False)
        return b.sign(signer_key, hashes.SHA256())


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    """A CA signs certificates and CRLs; a leaf signs handshakes and (RSA) enciphers keys."""
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=not ca,
        data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
        encipher_only=False, decipher_only=False,
    )
