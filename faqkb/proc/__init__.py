"""Process helpers every stage that starts programs shares (the runner, httpd, version probes).

A leaf apart from :mod:`faqkb._util`, so the servers can sit below the runner.

- :mod:`.spawn`: one lock for process starts and executable-file writes (ETXTBSY).
- :mod:`.liveness`: is a pid alive, stop a process group.
- :mod:`.sandbox`: the per-entry bubblewrap namespaces every command and httpd runs in.
- :mod:`.pidlimit`: the per-entry cap on processes (a ``pids`` cgroup).
"""
