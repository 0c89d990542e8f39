"""A private Apache httpd 2.4 per entry: the config a reader writes, really loaded and served.

Two halves, imported on their own (this package re-exports nothing, so the cheap half
never loads the process half):

- :mod:`faqkb.httpd.config`: the sandbox layout, the reader-path table (``READER_PATHS``),
  the port and path rewriting, the base config and the wrapper scripts. Its docstring is the
  reference for entry authors (which reader paths and ports become what).
- :mod:`faqkb.httpd.process`: the process: config test, start, error logs, stop
  (``HttpdProcess``, ``httpd_available``, ``httpd_version``).

``FAQKB_APACHE2`` (read at import) points ``APACHE2`` at another httpd binary, or at none.
"""
