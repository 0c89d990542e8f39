"""Run: one entry's commands, in order, in one sandbox -> an :class:`~faqkb.results.EntryResult`.

- :mod:`.shell`: one bash command with its own process group, environment and timeout.
- :mod:`.display`: live text (sandbox paths, ephemeral ports) back into the reader's terms.
- :mod:`.expectations`: what a command did, checked against what its entry says.
- :mod:`.runner`: one entry's sandbox, servers and commands (:func:`~.runner.run_entry`).
"""
