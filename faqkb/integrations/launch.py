"""The `faqkb` console script: `faqkb search` starts without loading the build's tools.

A terminal lookup should answer in a blink, so it skips click and everything else the
other commands need; every other command goes to :mod:`faqkb.integrations.cli`.
"""

from __future__ import annotations

import sys


def run() -> None:
    """Dispatch ``faqkb ARGS``."""
    if sys.argv[1:2] == ["search"]:
        from faqkb.integrations.search_cmd import main

        sys.exit(main(sys.argv[2:]))
    from faqkb.integrations.cli import run as cli_run

    cli_run()
