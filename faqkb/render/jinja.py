"""The one Jinja environment every page is rendered with (the templates in ``templates/``)."""

from __future__ import annotations

import functools

import jinja2

from faqkb.render.markdown import md_inline, safe_markdown, yaml_str


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja environment: package templates, StrictUndefined so typos fail loudly."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("faqkb.render", "templates"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,  # Markdown output; values are escaped explicitly where needed
    )
    env.filters["md_inline"] = md_inline
    env.filters["safe_markdown"] = safe_markdown
    env.filters["yaml_str"] = yaml_str
    return env
