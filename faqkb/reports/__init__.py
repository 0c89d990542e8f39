"""The ways to show a verification report: one wording of a failure everywhere.

- :mod:`.text`: terminal text (failures, summary, one command, one entry).
- :mod:`.records`: the ``--json`` records and totals.
- :mod:`.junit`: JUnit XML for CI.
- :mod:`.github`: GitHub Actions annotations and the job's Markdown summary.
- :mod:`.suggest`: the entries that answer an issue, as a comment to post (``faqkb suggest``).
"""
