"""faqkb: FAQ knowledge bases whose answers cannot silently rot.

The core (everything but :mod:`faqkb.cli`, :mod:`faqkb.mkdocs_plugin` and
:mod:`faqkb.pytest_plugin`) imports neither ``mkdocs`` nor ``click``.
"""

__version__ = "0.1.0"
