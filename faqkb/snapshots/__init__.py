"""Snapshots: a command's output recorded into ``<id>.snap`` and compared on later runs.

- :mod:`.masks`: volatile text (dates, serials, hex, ports, timings, PIDs) as stable tokens.
- :mod:`.fileformat`: the ``.snap`` file: its sections, reading and writing it, staleness.
- :mod:`.compare`: a result against its recorded section; a failure with a unified diff.
- :mod:`.update`: ``faqkb verify --update``, recording new snapshots atomically.

The loader reads the files (:mod:`faqkb.load.snapfiles`); the verifier compares.
"""
