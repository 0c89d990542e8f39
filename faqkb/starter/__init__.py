"""Starter files a team then owns: a new knowledge base, and faqkb's page templates to edit.

- :mod:`.place`: files put into a folder all at once, never over an existing file.
- :mod:`.kb`: ``faqkb init``, a knowledge base that lints, verifies and builds as it is.
- :mod:`.templates`: ``faqkb templates``, faqkb's page templates copied out to edit.
- ``kb/``: the files ``faqkb init`` writes (package data).
"""
