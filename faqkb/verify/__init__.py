"""Verify: many entries, in parallel, each result reused while nothing it depends on changed.

- :mod:`.verifier`: schedule, cache-check and run entries (:func:`~.verifier.verify_kb`).
- :mod:`.servers`: the PKI and reference server one run shares, made on first use.
- :mod:`.cache`: results stored by a hash of everything they depend on (faqkb's own code included).
- :mod:`.tools`: versions of the tools that produced a result.
"""
