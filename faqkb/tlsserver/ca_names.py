"""Send the acceptable client-CA names in a CertificateRequest, as httpd does.

httpd with ``SSLCACertificateFile`` names its CAs when it asks for a client certificate
(``s_client`` prints "Acceptable client certificate CA names"; clients use them to choose a
certificate). Python's :mod:`ssl` cannot: ``SSLContext`` wraps neither
``SSL_CTX_set_client_CA_list`` nor ``set0_CA_list``, and ``load_verify_locations`` fills only
the verify store. So :func:`send_ca_names` calls OpenSSL itself, through :mod:`ctypes`, on the
``SSL_CTX`` behind the context:

- the libssl used is the one ``_ssl`` is linked against (symbols are looked up through the
  ``_ssl`` extension's own handle, which searches its dependencies), never a second copy;
- the ``SSL_CTX *`` is the first field after ``PyObject_HEAD`` of CPython's ``PySSLContext``
  (unchanged from 3.7 to 3.13). That layout is private, and reading a wrong pointer would crash
  the whole build, so the layout is first proved in a throwaway child interpreter
  (:func:`layout_works`): it reads the pointer of a fresh context and checks that OpenSSL
  reports back the verify mode and options Python set, twice, with different values. Only if
  the child exits cleanly with a match does this process touch a pointer; otherwise no list is
  sent and :func:`send_ca_names` says why (the server logs it once).

Imports only the standard library and :mod:`faqkb.proc.spawn` (a leaf).
"""

from __future__ import annotations

import ctypes
import functools
import os
import ssl
import subprocess
import sys
from pathlib import Path

from faqkb.proc import spawn

_ssl = sys.modules.get("_ssl") or __import__("_ssl")

_CHECK = r"""
import ssl, sys
sys.path.insert(0, sys.argv[1])
from faqkb.tlsserver import ca_names
# OpenSSL's flags for Python's modes: SSL_VERIFY_PEER (1), with FAIL_IF_NO_PEER_CERT (2).
for mode, flags, opt in ((ssl.CERT_REQUIRED, 3, ssl.OP_NO_TICKET),
                         (ssl.CERT_OPTIONAL, 1, ssl.OP_NO_COMPRESSION)):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.verify_mode = mode
    ctx.options |= opt
    lib, ptr = ca_names._lib(), ca_names._ctx_pointer(ctx)
    if lib.SSL_CTX_get_verify_mode(ptr) != flags or lib.SSL_CTX_get_options(ptr) != int(ctx.options):
        sys.exit(3)
print("ok")
"""


@functools.cache
def _lib() -> ctypes.CDLL:
    lib = ctypes.CDLL(_ssl.__file__)  # its handle resolves libssl's symbols: the same copy
    lib.SSL_CTX_get_verify_mode.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_verify_mode.restype = ctypes.c_int
    lib.SSL_CTX_get_options.argtypes = [ctypes.c_void_p]
    lib.SSL_CTX_get_options.restype = ctypes.c_uint64
    lib.SSL_load_client_CA_file.argtypes = [ctypes.c_char_p]
    lib.SSL_load_client_CA_file.restype = ctypes.c_void_p
    lib.SSL_CTX_set_client_CA_list.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.SSL_CTX_set_client_CA_list.restype = None
    return lib


def _ctx_pointer(ctx: ssl.SSLContext) -> int:
    """The ``SSL_CTX *`` stored right after ``PyObject_HEAD`` (refcount and type pointer)."""
    head = ctypes.sizeof(ctypes.c_ssize_t) + ctypes.sizeof(ctypes.c_void_p)
    return int(ctypes.c_void_p.from_address(id(ctx) + head).value or 0)


@functools.cache
def layout_works() -> str | None:
    """None if this interpreter's ``PySSLContext`` layout was proved in a child, else why not."""
    if sys.implementation.name != "cpython" or hasattr(sys, "gettotalrefcount"):
        return "not a release build of CPython"
    root = str(Path(__file__).resolve().parents[2])
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONNOUSERSITE": "1"}
    try:
        out = spawn.run([sys.executable, "-I", "-c", _CHECK, root], timeout=30, env=env, cwd="/",
                        start_new_session=True)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"the layout check did not run: {exc}"
    if out.returncode != 0 or out.stdout.strip() != b"ok":
        return f"the layout check failed (exit status {out.returncode})"
    return None


def send_ca_names(ctx: ssl.SSLContext, cafile: Path) -> str | None:
    """Make ``ctx`` name the subjects in ``cafile`` as acceptable client CAs.

    Returns None when done, else why not (the context then asks for a certificate naming no
    CA, which clients answer all the same).
    """
    why = layout_works()
    if why:
        return why
    lib = _lib()
    names = lib.SSL_load_client_CA_file(os.fsencode(cafile))
    if not names:
        return f"OpenSSL read no CA name from {cafile}"
    lib.SSL_CTX_set_client_CA_list(_ctx_pointer(ctx), names)  # takes ownership of the list
    return None
