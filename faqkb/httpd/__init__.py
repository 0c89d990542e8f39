"""A private Apache httpd 2.4 per entry: the config a reader writes, really loaded and served.

Two halves, re-exported here so ``from faqkb.httpd import HttpdBackend`` keeps working:

- :mod:`faqkb.httpd.config`: the sandbox layout, the reader-path table (:data:`READER_PATHS`),
  the port and path rewriting, the base config and the wrapper scripts. Its docstring is the
  reference for entry authors (which reader paths and ports become what).
- :mod:`faqkb.httpd.backend`: the process: config test, start, error logs, stop
  (:class:`HttpdBackend`, :func:`httpd_available`, :func:`httpd_version`).

``FAQKB_APACHE2`` (read at import) points :data:`APACHE2` at another httpd binary, or at none.
"""

from __future__ import annotations

from faqkb.httpd.backend import HttpdBackend, httpd_available, httpd_version
from faqkb.httpd.config import (
    APACHE2,
    BASE_MODULES,
    BUILTIN_MODULES,
    MODULES_DIR,
    READER_PATHS,
    HttpdConfig,
    HttpdError,
)

__all__ = [
    "APACHE2",
    "BASE_MODULES",
    "BUILTIN_MODULES",
    "MODULES_DIR",
    "READER_PATHS",
    "HttpdBackend",
    "HttpdConfig",
    "HttpdError",
    "httpd_available",
    "httpd_version",
]
