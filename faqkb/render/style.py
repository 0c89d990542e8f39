"""The stylesheet the rendered pages' classes need (the ✔/✘/⚠ marks under each command, the
tags line, both Material palettes), the script that makes scrolling code blocks reachable by
keyboard, the Web Worker shim an offline site's search needs, and where they go in a site.
Package data, so an installed faqkb has them."""

from __future__ import annotations

from pathlib import Path

#: The stylesheet in the package.
STYLESHEET = Path(__file__).resolve().parent / "assets" / "faqkb.css"
#: Where it goes in the site (relative to the docs dir); a file of the team's own there wins.
STYLESHEET_URI = "assets/faqkb.css"
#: The script in the package.
SCRIPT = Path(__file__).resolve().parent / "assets" / "faqkb.js"
#: Where it goes in the site (relative to the docs dir); a file of the team's own there wins.
SCRIPT_URI = "assets/faqkb.js"


def stylesheet() -> str:
    """The text of faqkb's stylesheet."""
    return STYLESHEET.read_text("utf-8")


def script() -> str:
    """The text of faqkb's script."""
    return SCRIPT.read_text("utf-8")

#: The iframe-worker shim (MIT, vendored): Material's search worker from ``file://`` (offline builds).
WORKER_SHIM = Path(__file__).resolve().parent / "assets" / "iframe-worker.js"
#: Where it goes in an offline site; its name says "iframe-worker", which is how Material's
#: offline plugin sees that the shim is there and adds no CDN copy of its own.
WORKER_SHIM_URI = "assets/iframe-worker.js"


def worker_shim() -> str:
    """The text of the iframe-worker shim."""
    return WORKER_SHIM.read_text("utf-8")
