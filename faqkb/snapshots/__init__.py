"""Snapshots: a command's output recorded into ``<id>.snap`` and compared on later runs.

``masks`` turns volatile text (dates, serials, hex, ports, timings, PIDs) into stable tokens;
``fileformat`` reads and writes the ``.snap`` file; ``attach`` finds each entry's file and
what is stale in it (for the loader); ``compare`` checks a result against its snapshot (for
the verifier); ``update`` records new snapshots (``faqkb verify --update``).
"""
