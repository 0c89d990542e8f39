"""Offline search: an SQLite FTS5 index of the entries and what their commands printed.

Kept light: ``faqkb search`` imports this package and :mod:`.query` only.

- :mod:`.schema`: the index's columns, weights and version (a leaf both sides share).
- :mod:`.query`: the lookup (SQL built apart from ranking).
- :mod:`.index`: building the index, and knowing when it is stale.
"""
