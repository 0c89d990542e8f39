"""Thin shells over the core; the only modules that import mkdocs, click or pytest.

- :mod:`.cli`: the ``faqkb`` command (click).
- :mod:`.launch`: the console script; ``faqkb search`` skips click to answer in a blink.
- :mod:`.search_cmd`: ``faqkb search`` (argparse, for start-up time).
- :mod:`.mkdocs_plugin`: ``plugins: [faqkb]``.
- :mod:`.pytest_plugin`: ``pytest --faqkb``.
"""
