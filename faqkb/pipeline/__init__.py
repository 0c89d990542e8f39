"""What every integration calls: load, verify, render; and the site built from it.

- :mod:`.builder`: load, verify and render in one call (:func:`~.builder.build`).
- :mod:`.memo`: the pages of the last fully verified build, reused while no input changed.
- :mod:`.sitebuild`: ``mkdocs build`` in a child process with an atomic swap; the docs tree on disk.
"""
