"""The stylesheet the rendered pages' classes need (the ✔/✘/⚠ marks under each command, the
tags line), and where it goes in a site. Package data, so an installed faqkb has it."""

from __future__ import annotations

from pathlib import Path

#: The stylesheet in the package.
STYLESHEET = Path(__file__).resolve().parent / "assets" / "faqkb.css"
#: Where it goes in the site (relative to the docs dir); a file of the team's own there wins.
STYLESHEET_URI = "assets/faqkb.css"


def stylesheet() -> str:
    """The text of faqkb's stylesheet."""
    return STYLESHEET.read_text("utf-8")
