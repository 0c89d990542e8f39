"""Load: YAML entry files and side files -> a validated :class:`~faqkb.model.KnowledgeBase`.

- :mod:`.located`: safe YAML that remembers where every value is (``path:line:col``).
- :mod:`.yamlhints`: the usual hand-editing YAML mistakes, explained with their fix.
- :mod:`.schema`: the published JSON Schema, its errors as readable problems.
- :mod:`.memo`: which entry texts already passed the text-only checks.
- :mod:`.sidefiles`: ``_sections.yml`` and ``_tags.yml``.
- :mod:`.snapfiles`: each entry's ``<id>.snap`` file, attached to it; orphans and stale sections.
- :mod:`.checks`: checks of one entry against the registries (sections, tags, fixtures, ...).
- :mod:`.strays`: entry-shaped YAML outside the FAQ folder (never part of the KB).
- :mod:`.loader`: reads a FAQ directory and runs every check (:func:`~.loader.load_kb`).
- :mod:`.lintpaths`: ``faqkb lint PATH...``: the KB of each file, found from where it is.
- :mod:`.scaffold`: ``faqkb new``, a fresh entry file, and the editors' copy of the schema.
"""
