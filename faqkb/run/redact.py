"""No private key leaves a run: every captured stream is redacted before it becomes a result.

Results feed the page, Material's search index, the offline index, JUnit, ``--json`` and the
terminal, so redacting here covers them all. A PEM private key (any label: ``PRIVATE KEY``,
``RSA PRIVATE KEY``, ``ENCRYPTED PRIVATE KEY``, ``OPENSSH PRIVATE KEY``...) keeps its armour
lines and loses its body, whatever the line ends (LF, CRLF, CR), the indentation, or whether
its END line was cut off by the capture limit. The secret numbers of a text dump
(``openssl pkey -text``: ``privateExponent``, ``prime1``, ``priv``...) go too.
"""

from __future__ import annotations

import re

MARKER = "[private key redacted]"
_PEM = re.compile(
    r"(-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----)"  # the armour line
    r"([^\S\r\n]*\r?\n|\r)"  # its line end, whichever kind
    r"(.*?)"  # the body
    r"(^[^\S\r\n]*-----END \2PRIVATE KEY-----|\Z)",  # its END line, or the end of the text
    re.DOTALL | re.MULTILINE,
)
# `openssl pkey -text` and friends: a secret field's name, then its indented hex lines.
_TEXT_DUMP = re.compile(
    r"^([^\S\r\n]*(?:privateExponent|prime1|prime2|exponent1|exponent2|coefficient|priv|"
    r"private-key|d):[^\S\r\n]*\r?\n)((?:[^\S\r\n]+[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})*:?[^\S\r\n]*\r?\n?)+)",
    re.MULTILINE,
)


def redact(text: str) -> str:
    """``text`` with the body of every private key replaced by :data:`MARKER`."""
    if "PRIVATE KEY" not in text and ":" not in text:
        return text
    text = _PEM.sub(lambda m: f"{m.group(1)}{m.group(3)}{MARKER}{m.group(3)}{m.group(5)}"
                    if m.group(5) else f"{m.group(1)}{m.group(3)}{MARKER}", text)
    return _TEXT_DUMP.sub(lambda m: f"{m.group(1)}    {MARKER}\n", text)
