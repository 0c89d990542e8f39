"""Just enough HTTP/1.x for curl and ``openssl s_client``: one request, one answer, close.

Paths: ``/`` answers a short greeting; ``/env`` (alias ``/cgi-bin/env``, where httpd
entries keep their CGI) answers, as text/plain, the ``HTTPS`` and ``SSL_*`` variables that
mod_ssl's ``SSLOptions +StdEnvVars`` would give a CGI for this connection, one ``NAME=value``
a line, sorted. Anything else is 404; methods other than GET and HEAD get 405.

Malformed requests are refused as httpd refuses them: a request head over :data:`MAX_HEAD`
gets 431 (414 when it is the request line itself that does not end), a request-target over
:data:`MAX_TARGET` gets 414, and an HTTP/1.1 request without ``Host`` gets 400 (RFC 9112).
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography import x509

#: Largest request head read; a longer one is answered 431 (or 414, see :func:`answer`).
MAX_HEAD = 16384
#: Longest request-target answered; a longer one gets 414 (httpd's LimitRequestLine is 8190
#: for the whole line, which leaves about this much for the target).
MAX_TARGET = 8000
ENV_PATHS = ("/env", "/cgi-bin/env")

_REQUEST_LINE = re.compile(rb"^([A-Z]{1,20}) (\S+) (HTTP/1\.[01])$")
# A Host header anywhere after the request line (field names are case-insensitive).
_HOST_FIELD = re.compile(rb"\n[Hh][Oo][Ss][Tt][ \t]*:")
# What a request can start with: a method token. Anything else (a TLS ClientHello, binary
# garbage) is answered at once instead of waiting for a blank line that will never come.
_METHOD_PREFIX = re.compile(rb"^[A-Z]{0,20}( |$)")

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed",
            414: "URI Too Long", 431: "Request Header Fields Too Large"}


@dataclass(frozen=True)
class Request:
    """A parsed request line (headers are read but not interpreted)."""

    method: str
    target: str
    version: str

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.split("?", 1)[0]

    @property
    def line(self) -> str:
        """The request line as sent: ``GET / HTTP/1.1``."""
        return f"{self.method} {self.target} {self.version}"


def looks_like_http(data: bytes) -> bool:
    """False when the first bytes cannot start an HTTP request (so stop reading and answer 400)."""
    return bool(_METHOD_PREFIX.match(data[:21]))


def head_complete(data: bytes) -> bool:
    """True once the request head (up to the blank line) has arrived."""
    return b"\r\n\r\n" in data or b"\n\n" in data


def head_too_large(data: bytes) -> bool:
    """True when ``data`` reached :data:`MAX_HEAD` without the blank line that ends a head."""
    return len(data) >= MAX_HEAD and not head_complete(data[:MAX_HEAD])


def read_head(recv: Callable[[int], bytes]) -> bytes:
    """Read until the end of the request head, EOF, too much, or bytes that are not HTTP.

    Deadlines are the caller's: ``recv`` raises (``TimeoutError``) when one has passed.
    """
    data = b""
    while not head_complete(data) and len(data) < MAX_HEAD:
        chunk = recv(4096)
        if not chunk:
            break
        data += chunk
        if not looks_like_http(data):
            break
    return data


def parse(data: bytes) -> Request | None:
    """The request line of ``data``, or None when it is not a valid HTTP/1.x request line."""
    first = data.split(b"\n", 1)[0].rstrip(b"\r")
    m = _REQUEST_LINE.match(first)
    if not m:
        return None
    return Request(*(g.decode("ascii", "replace") for g in m.groups()))


def response(status: int, body: str, *, head_only: bool = False,
             extra: Mapping[str, str] | None = None) -> bytes:
    """A complete ``HTTP/1.1`` answer with Content-Length and ``Connection: close``."""
    payload = body.encode()
    headers = {
        "Date": email.utils.formatdate(usegmt=True),
        "Server": "faqkb-reference",
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": str(len(payload)),
        "Connection": "close",
        **(extra or {}),
    }
    head = f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode() + (b"" if head_only else payload)


def plain_http_to_tls_port() -> bytes:
    """httpd's answer to plain HTTP on an SSL port (sent in the clear)."""
    body = (
        '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n'
        "<html><head>\n<title>400 Bad Request</title>\n</head><body>\n"
        "<h1>Bad Request</h1>\n"
        "<p>Your browser sent a request that this server could not understand.<br />\n"
        "Reason: You're speaking plain HTTP to an SSL-enabled server port.<br />\n"
        " Instead use the HTTPS scheme to access this URL, please.<br />\n"
        "</p>\n</body></html>\n"
    )
    return response(400, body, extra={"Content-Type": "text/html; charset=iso-8859-1"})


def answer(data: bytes, scenario: str, env: Mapping[str, str] | None) -> tuple[int, bytes, str]:
    """Answer the request head ``data``: (status, bytes to send, request line for the log).

    ``env`` is the ``SSL_*`` environment of a TLS connection (None on plain HTTP, where
    ``/env`` still answers, with ``HTTPS`` absent, like a CGI on a plain vhost).
    """
    line = data.split(b"\n", 1)[0].rstrip(b"\r")[:200].decode("ascii", "replace")
    if head_too_large(data):
        # The whole first line unterminated at the limit: the target is what is too long.
        if b"\n" not in data[:MAX_HEAD] and _METHOD_PREFIX.match(data[:21]):
            return 414, response(414, "Request-URI Too Long\n"), line
        return 431, response(431, "Request Header Fields Too Large\n"), line
    req = parse(data)
    if req is None:
        return 400, response(400, "Bad Request\n"), line
    if len(req.target) > MAX_TARGET:
        return 414, response(414, "Request-URI Too Long\n"), req.line[:200]
    if req.version == "HTTP/1.1" and not _HOST_FIELD.search(data):
        return 400, response(400, "Bad Request: HTTP/1.1 requires a Host header\n"), req.line
    head_only = req.method == "HEAD"
    if req.method not in ("GET", "HEAD"):
        status, body, extra = 405, f"Method {req.method} not allowed\n", {"Allow": "GET, HEAD"}
    elif req.path in ENV_PATHS:
        status, body, extra = 200, "".join(f"{k}={v}\n" for k, v in sorted((env or {}).items())), {}
    elif req.path == "/":
        status, body, extra = 200, f"faqkb reference server: scenario {scenario}\n", {}
    else:
        status, body, extra = 404, f"Not Found: {req.path}\n", {}
    return status, response(status, body, head_only=head_only, extra=extra), req.line


def _when(t: datetime) -> str:
    # ASN1_TIME_print's form, which mod_ssl uses for SSL_*_V_START/V_END.
    return f"{t:%b} {t.day:2d} {t:%H:%M:%S %Y} GMT"


def _cert_vars(prefix: str, cert: x509.Certificate) -> dict[str, str]:
    from cryptography.x509.oid import NameOID

    env = {
        f"{prefix}_S_DN": cert.subject.rfc4514_string(),
        f"{prefix}_I_DN": cert.issuer.rfc4514_string(),
        f"{prefix}_M_VERSION": str(cert.version.value + 1),
        f"{prefix}_M_SERIAL": f"{cert.serial_number:X}",
        f"{prefix}_V_START": _when(cert.not_valid_before_utc),
        f"{prefix}_V_END": _when(cert.not_valid_after_utc),
        f"{prefix}_A_SIG": f"{cert.signature_hash_algorithm.name}WithRSAEncryption"
        if cert.signature_hash_algorithm
        else "NULL",
        f"{prefix}_A_KEY": "rsaEncryption",
    }
    for part, name in ((cert.subject, "S_DN"), (cert.issuer, "I_DN")):
        for suffix, oid in (("CN", NameOID.COMMON_NAME), ("O", NameOID.ORGANIZATION_NAME)):
            attrs = part.get_attributes_for_oid(oid)
            if attrs:
                env[f"{prefix}_{name}_{suffix}"] = str(attrs[0].value)
    return env


def ssl_env(
    *,
    protocol: str,
    cipher: str,
    use_bits: int,
    alg_bits: int,
    resumed: bool,
    session_id: str,
    server_cert: x509.Certificate,
    sni: str | None,
    client_cert: x509.Certificate | None,
    library: str,
) -> dict[str, str]:
    """The variables mod_ssl's ``SSLOptions +StdEnvVars`` gives a CGI for one TLS connection.

    DNs are in RFC 2253 form, as mod_ssl 2.4 writes them. ``SSL_CLIENT_VERIFY`` is
    ``SUCCESS`` when a (necessarily verified) client certificate was sent, else ``NONE``.
    """
    env = {
        "HTTPS": "on",
        "SSL_PROTOCOL": protocol,
        "SSL_CIPHER": cipher,
        "SSL_CIPHER_EXPORT": "false",
        "SSL_CIPHER_USEKEYSIZE": str(use_bits),
        "SSL_CIPHER_ALGKEYSIZE": str(alg_bits),
        "SSL_COMPRESS_METHOD": "NULL",
        "SSL_SECURE_RENEG": "false" if protocol == "TLSv1.3" else "true",
        "SSL_SESSION_RESUMED": "Resumed" if resumed else "Initial",
        "SSL_SESSION_ID": session_id,
        "SSL_VERSION_INTERFACE": "faqkb-reference",
        "SSL_VERSION_LIBRARY": library,
        "SSL_CLIENT_VERIFY": "SUCCESS" if client_cert is not None else "NONE",
        **_cert_vars("SSL_SERVER", server_cert),
    }
    if sni:
        env["SSL_TLS_SNI"] = sni
    if client_cert is not None:
        env.update(_cert_vars("SSL_CLIENT", client_cert))
    return env
