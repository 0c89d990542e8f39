"""The `faqkb` console script: `faqkb search` and `faqkb show` start without loading the build's tools.

A terminal lookup should answer in a blink, so it skips click and everything else the
other commands need; every other command goes to :mod:`faqkb.integrations.cli`.
"""

from __future__ import annotations

import os
import sys

#: The status of a filter whose reader went away (128 + SIGPIPE), as a shell reports it.
EXIT_PIPE = 141


def _dispatch() -> int:
    if sys.argv[1:2] == ["search"]:
        from faqkb.integrations.search_cmd import main

        return main(sys.argv[2:])
    if sys.argv[1:2] == ["show"]:  # reads the same index: works wherever search does
        from faqkb.integrations.search_cmd import show_main

        return show_main(sys.argv[2:])
    from faqkb.integrations.cli import run as cli_run

    try:
        cli_run()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run() -> None:
    """Dispatch ``faqkb ARGS``; a closed pipe (``faqkb search x | head -1``) ends quietly."""
    try:
        code = _dispatch()
        sys.stdout.flush()  # here, not at exit, so a closed pipe is caught below
    except BrokenPipeError:
        # Python would otherwise complain again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_PIPE
    sys.exit(code)
