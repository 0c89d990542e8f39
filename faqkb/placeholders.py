"""Two renderings of one command text: what a reader types, and what the runner runs.

A command's ``run`` text may contain:

- ``{{ name }}``: a value; on the page the reader's value (``localhost:443``), when run
  the live one (``localhost:40123``). Names: see :data:`NAMES`, and ``port_N`` for another
  port N an entry's httpd config listens on (the reader sees N).
- ``{{ live: TEXT }}``: TEXT is run but not shown (``-passin pass:secret``, ``-batch``).
- ``{{ show: TEXT }}``: TEXT is shown but not run.

This is deliberately not Jinja: command text is data, so nothing in it can execute,
and a literal ``{%`` or ``{#`` in a shell command means nothing special.
"""

from __future__ import annotations

import re
import shlex

#: Placeholder names and what the reader sees for them on the page.
NAMES: dict[str, str] = {
    "server": "localhost:443",
    "host": "localhost",
    "port": "443",
    "url": "https://localhost/",
    "cafile": "ca.crt",
    # A second, plain-HTTP listener (httpd entries that serve HTTP and HTTPS).
    "http_server": "localhost:80",
    "http_port": "80",
    "http_url": "http://localhost/",
}
#: What the reader sees when the command talks to a plain HTTP scenario.
PLAIN_HTTP_NAMES: dict[str, str] = {**NAMES, "server": "localhost:80", "port": "80",
                                    "url": "http://localhost/"}

# The text of live:/show: may not hold another "{{" or "}}": so an unclosed "{{ live:" stops
# each match at the next placeholder instead of rescanning to the end (linear, not quadratic).
_BODY = r"((?:(?!\{\{|\}\}).)*?)"
_TOKEN = re.compile(r"\{\{\s*(?:(live|show):\s?" + _BODY + r"|([a-z_][a-z0-9_]*))\s*\}\}", re.DOTALL)
#: ``port_8443``: another port of the entry's httpd (``Listen 8443``); the reader sees 8443.
PORT_NAME = re.compile(r"port_([1-9][0-9]{0,4})")
_LIVE_WITH_SPACE = re.compile(r" \{\{\s*live:(?:(?!\{\{|\}\}).)*?\}\}(?=\s|$)",
                              re.DOTALL | re.MULTILINE)
_OPEN_TEXT = re.compile(r"\{\{\s*(?:live|show):")


def names_in(text: str) -> list[str]:
    """Value placeholder names used in ``text`` (for validation)."""
    return [m.group(3) for m in _TOKEN.finditer(text) if m.group(3)]


def unclosed(text: str) -> int:
    """How many ``{{ live:`` / ``{{ show:`` in ``text`` are never closed with ``}}``."""
    return len(_OPEN_TEXT.findall(_TOKEN.sub("", text)))


def other_port(name: str) -> int | None:
    """N for a ``port_N`` name, else None."""
    m = PORT_NAME.fullmatch(name)
    return int(m.group(1)) if m else None


def unknown_names(text: str) -> list[str]:
    """Placeholder names in ``text`` that no scenario provides (``port_N`` is known: whether
    the entry's httpd listens on N is checked with its config)."""
    return [n for n in names_in(text) if n not in NAMES and other_port(n) is None]


def reader_values(text: str) -> dict[str, str]:
    """What a reader sees for every placeholder of ``text``: :data:`NAMES`, and N for each
    ``port_N`` (to read a command as written, e.g. for the programs it runs)."""
    return {**NAMES, **{n: str(p) for n in names_in(text) if (p := other_port(n)) is not None}}



def for_page(text: str, values: dict[str, str] | None = None) -> str:
    """The command as a reader types it."""
    shown = {**reader_values(text), **(values or {})}

    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "live":
            return ""
        if m.group(1) == "show":
            return m.group(2)
        return shown[m.group(3)]

    # A run-only word takes its separating space with it, so no double space is left.
    text = _LIVE_WITH_SPACE.sub("", text)
    return "\n".join(line.rstrip() for line in _TOKEN.sub(sub, text).split("\n"))


def for_run(text: str, values: dict[str, str]) -> str:
    """The command as the runner executes it; live values are shell-quoted."""

    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "live":
            return m.group(2)
        if m.group(1) == "show":
            return ""
        name = m.group(3)
        if name not in values:
            raise KeyError(f"no live value for {{{{ {name} }}}}: the command needs a scenario")
        return shlex.quote(values[name])

    return _TOKEN.sub(sub, text)
