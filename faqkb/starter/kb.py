"""``faqkb init``: a new knowledge base that lints, verifies and builds as it is written.

Its files are package data (``kb/``): a leading ``dot-`` in a name stands for a dot (so
packaging and editors see no hidden files), and ``@site_name_yaml@`` / ``@site_name_md@``
stand for the site's name as YAML and as Markdown.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from faqkb.errors import FaqkbError
from faqkb.render.markdown import md_inline
from faqkb.starter.place import place_files

#: The files ``faqkb init`` writes.
SCAFFOLD = Path(__file__).resolve().parent / "kb"
#: A folder that may be there already: a team often runs ``git init`` first.
ALLOWED = frozenset({".git"})
_PLACEHOLDER = re.compile(r"@([a-z_]+)@")


def default_name(target: Path) -> str:
    """The site's name made from its folder's name: ``git-shell_faq`` -> ``Git shell faq``."""
    words = " ".join(re.split(r"[-_\s]+", target.absolute().resolve().name)).strip()
    return (words[:1].upper() + words[1:]) or "FAQ"


def _dest(rel: Path) -> str:
    return "/".join("." + part[4:] if part.startswith("dot-") else part for part in rel.parts)


def scaffold_files(name: str) -> dict[str, str]:
    """What ``faqkb init`` writes: path relative to the new folder -> text."""
    values = {"site_name_yaml": json.dumps(name, ensure_ascii=False), "site_name_md": md_inline(name)}
    return {
        _dest(path.relative_to(SCAFFOLD)): _PLACEHOLDER.sub(lambda m: values[m.group(1)],
                                                            path.read_text("utf-8"))
        for path in sorted(SCAFFOLD.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def init_kb(target: Path, name: str | None = None) -> list[Path]:
    """Write a new knowledge base into ``target`` (new, empty, or holding only ``.git``);
    the files written. A FaqkbError (exit 2), with nothing written, otherwise."""
    if target.is_dir():
        others = sorted(p.name for p in target.iterdir() if p.name not in ALLOWED)
        if others:
            shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
            raise FaqkbError(f"{target.absolute()} is not empty (it has {shown}); faqkb init starts a "
                             "knowledge base in a new or empty folder (a .git folder is fine); "
                             "nothing was written")
    return place_files(target, scaffold_files(name if name is not None else default_name(target)))
