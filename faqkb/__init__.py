"""faqkb: FAQ knowledge bases whose answers cannot silently rot.

The core (everything but :mod:`faqkb.integrations.cli`, :mod:`faqkb.integrations.mkdocs_plugin` and
:mod:`faqkb.integrations.pytest_plugin`) imports neither ``mkdocs`` nor ``click``.
"""

__version__ = "0.1.0"
