"""Render: a knowledge base and its results -> Markdown pages, through Jinja templates.

- :mod:`.pages`: every generated page (:func:`~.pages.render_pages`).
- :mod:`.views`: the template data of one entry, one command, one httpd block.
- :mod:`.links`: URLs of pages and entries, ``[text](#id)`` links, the old FAQ's anchors.
- :mod:`.markdown`: escaping, fences, clipping and redacting output.
- :mod:`.jinja`: the one Jinja environment (StrictUndefined), its filters, a team's own templates.
- :mod:`.style`: the stylesheet the pages' classes need (``assets/faqkb.css``) and the script
  that makes scrolling code blocks focusable (``assets/faqkb.js``).
- ``templates/``: the Jinja templates; ``assets/``: the stylesheet.
"""
