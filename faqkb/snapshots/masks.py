"""Volatile text in a command's output, replaced by stable tokens, so that two runs compare equal.

A snapshot records what the reader sees (the runner's displayed, redacted output), with every
part that changes from run to run masked: dates and times, serial numbers, hex strings and
dumps (fingerprints, key bytes, session ids), PEM bodies, ports, PIDs and timings. The same
:func:`normalize` runs when a snapshot is recorded and, on both sides, when it is compared.

Cost is linear in the output: at most :data:`MAX_LINES` lines of :data:`MAX_LINE_CHARS`
characters are looked at, one line at a time, and every built-in pattern is bounded or
possessive (no repeat inside a repeat, nothing to backtrack into), so no output, however
hostile, makes masking slow. An author's own masks (``snapshot: {mask: [...]}``) are matched
line by line too, and the loader refuses the nested-repeat shape in them.
"""

from __future__ import annotations

import functools
import re

from faqkb._util import printable
from faqkb.run.redact import MARKER as KEY_MARKER

#: Lines of one stream a snapshot records; the rest is replaced by one line saying so.
MAX_LINES = 1000
#: Characters of one line a snapshot records (the page cuts long lines too).
MAX_LINE_CHARS = 1000
MORE_LINES = "[... more lines, not recorded]"
MORE_CHARS = " [...]"
#: What an author's mask leaves in place of the text it matched.
MASKED = "[MASKED]"
#: Every token a built-in mask writes, for the docs and the file header.
TOKENS = ("[DATE]", "[TIME]", "[SERIAL]", "[HEX]", "[BASE64]", "[PORT]", "[PID]", "[DURATION]",
          "[COUNT]", "[RATE]")

_MON = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DOW = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_HMS = r"\d{2}:\d{2}:\d{2}(?:[.,]\d{1,9})?"
_H = "[0-9A-Fa-f]"

_DATE = re.compile("|".join((
    # ISO 8601 / RFC 3339: 2026-12-01, 2026-12-01T12:00:00.5Z, 2026-12-01 12:00:00 +0000
    r"\b\d{4}-\d{2}-\d{2}(?!\d)(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)?"
    r"(?:Z| ?[+-]\d{2}:?\d{2}(?!\d)| ?(?:UTC|GMT)\b)?",
    # openssl (Dec  1 12:00:00 2026 GMT), date(1) (Tue Dec  1 12:00:00 UTC 2026), asctime,
    # Apache's error log (Tue Dec 01 12:00:00.123456 2026), syslog (Dec  1 12:00:00)
    rf"\b(?:{_DOW},? {{1,2}})?{_MON} {{1,2}}\d{{1,2}},? (?:\d{{4}} )?{_HMS}"
    r"(?: (?:[A-Z]{3,5}|[+-]\d{4})\b)?(?: \d{4}(?!\d))?(?: (?:UTC|GMT)\b)?",
    # HTTP and mail dates (Tue, 01 Dec 2026 12:00:00 GMT), and 27 Jan 2026
    rf"\b(?:{_DOW}, )?\d{{1,2}} {_MON} \d{{4}}(?!\d)(?: {_HMS}(?: (?:GMT|UTC|[+-]\d{{4}}))?)?",
    # the access log: 01/Dec/2026:12:00:00 +0000
    rf"\b\d{{2}}/{_MON}/\d{{4}}:{_HMS}(?: [+-]\d{{4}})?",
    # ASN.1 UTCTime and GeneralizedTime (asn1parse, ocsp): 261201120000Z, 20261201120000Z
    r"\b\d{12}(?:\d{2})?Z\b",
    # Unix time in seconds or milliseconds, 2023-11 to 2033 (s_client's "Start Time")
    r"\b1[7-9]\d{8}(?:\d{3})?(?![\d.])",
)))
_TIME = re.compile(r"(?<![\d:])\d{1,2}:\d{2}:\d{2}(?:[.,]\d{1,9})?(?![\d:])")
_SERIAL_LINE = re.compile(r"^(\s*+Serial Number:) ?+\S.*+$")
_SERIAL_KEY = re.compile(rf"\b(serial=){_H}++")
# openssl's hex dumps (0000 - 16 03 01 ...) and xxd's (00000000: 4865 6c6c ...), ASCII column too
_HEXDUMP_LINE = re.compile(rf"^(\s*+){_H}{{4,8}}(?: - |: ){_H}{{2}}(?:[ -]?{_H}{{2}}){{2}}.*+$")
# a line of colon-separated bytes: a key's modulus, a signature, a key identifier; and the
# last line of such a block, which may hold one byte (only masked after a line ending in ":")
_HEX_LINE = re.compile(rf"^(\s*+){_H}{{2}}(?::{_H}{{2}})++:?$")
_HEX_LAST = re.compile(rf"^(\s*+){_H}{{2}}$")
_HEX_BYTES = re.compile(rf"(?<!{_H}){_H}{{2}}(?::{_H}{{2}}){{3,}}+:?")
_UUID = re.compile(rf"\b{_H}{{8}}-{_H}{{4}}-{_H}{{4}}-{_H}{{4}}-{_H}{{12}}\b")
_LONG_HEX = re.compile(rf"\b(?:{_H}{{16,}}+|0x{_H}{{8,}}+)\b")
_PORT_IP = re.compile(r"\b(\d{1,3}(?:\.\d{1,3}){3}):\d{4,5}(?!\d)")
_PORT_HOST = re.compile(r"(?<=[A-Za-z\]]):\d{4,5}(?!\d)")
_PORT_WORD = re.compile(r"\b([Pp]ort)( ?[=:]? ?)\d{4,5}(?!\d)")
_PID = re.compile(r"\b((?i:pid|tid))( ?[=:]? ?)\d++")
_CLOCK = re.compile(r"\b\d++m\d++(?:\.\d++)?s\b")  # bash's time: real 0m0.010s
_DURATION = re.compile(r"(?<![\w.])\d++(?:\.\d++)?+ ?(?:ns|us|µs|ms|s|secs?|seconds?|mins?|minutes?)\b")
_SPEED_COUNT = re.compile(r"^(Doing [^:]*+: )\d++")  # openssl speed: "Doing ... for 1s: 490 ..."
_RATE_K = re.compile(r"\b\d++\.\d++k\b")  # openssl speed's table: 1234567.89k
_DECIMAL = re.compile(r"(?<![\w./\[])\d++\.\d++(?![\w.])")
_PEM_BEGIN = re.compile(r"^\s*+-----BEGIN [A-Z0-9 ]++-----\s*+$")
_PEM_END = re.compile(r"^\s*+-----END [A-Z0-9 ]++-----\s*+$")
_ONLY_TOKENS = re.compile(r"(?:\s|\[[A-Z0-9]++\])++")  # whitespace and tokens only

#: The built-in masks, in the order they apply to a line (earlier ones protect text from later
#: ones: a date's time is not a lone [TIME]; a fingerprint's bytes are not a time).
BUILTIN: tuple[tuple[re.Pattern[str], str], ...] = (
    (_SERIAL_LINE, r"\1 [SERIAL]"),
    (_SERIAL_KEY, r"\1[SERIAL]"),
    (_DATE, "[DATE]"),
    (_HEXDUMP_LINE, r"\1[HEX]"),
    (_HEX_LINE, r"\1[HEX]"),
    (_HEX_BYTES, "[HEX]"),
    (_UUID, "[HEX]"),
    (_LONG_HEX, "[HEX]"),
    (_TIME, "[TIME]"),
    (_PORT_IP, r"\1:[PORT]"),
    (_PORT_HOST, ":[PORT]"),
    (_PORT_WORD, r"\1\2[PORT]"),
    (_PID, r"\1\2[PID]"),
    (_CLOCK, "[DURATION]"),
    (_DURATION, "[DURATION]"),
    (_SPEED_COUNT, r"\1[COUNT]"),
    (_RATE_K, "[RATE]"),
)


@functools.lru_cache(maxsize=256)
def _compiled(masks: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    out = []
    for pattern in masks:
        try:
            out.append(re.compile(pattern))
        except re.error:  # the loader refuses these; a stale trusted text must not crash a run
            continue
    return tuple(out)


def _mask_match(m: re.Match[str]) -> str:
    """A user mask's match with its groups masked (the whole match if it has none). An empty
    match masks nothing, so a pattern that can match nothing cannot flood the line."""
    text = m.group(0)
    if not text:
        return text
    groups = m.re.groups
    if not groups:
        return MASKED
    spans = sorted({m.span(g) for g in range(1, groups + 1) if m.span(g)[1] > m.span(g)[0]},
                   key=lambda s: (s[0], -s[1]))
    out, pos, base = [], 0, m.start()
    for start, end in spans:
        if start - base < pos:  # inside a group already masked
            continue
        out += [text[pos:start - base], MASKED]
        pos = end - base
    out.append(text[pos:])
    return "".join(out)


def mask_line(line: str, user: tuple[re.Pattern[str], ...] = ()) -> str:
    """One line with the author's masks, then the built-in ones, applied."""
    for pattern in user:
        line = pattern.sub(_mask_match, line)
    for pattern, token in BUILTIN:
        line = pattern.sub(token, line)
    if "[DURATION]" in line:  # a timing line (openssl speed): its other figures are rates
        line = _DECIMAL.sub("[RATE]", line)
    return line


def normalize(text: str, masks: tuple[str, ...] = ()) -> list[str]:
    """``text`` as a snapshot records it: masked line by line, control characters shown as
    ``\\xNN``, trailing spaces and blank lines dropped, and a run of identical token-only lines
    (a modulus, a hex dump, a PEM body) kept once, so their length cannot make runs differ."""
    user = _compiled(tuple(masks))
    lines = text.replace("\r\n", "\n").split("\n")
    more = len(lines) > MAX_LINES
    out: list[str] = []
    in_pem = hex_block = False
    for raw in lines[:MAX_LINES]:
        # A carriage return (a progress meter) leaves what a terminal shows: the last part.
        line = raw.rsplit("\r", 1)[-1]
        cut = len(line) > MAX_LINE_CHARS
        line = line[:MAX_LINE_CHARS]
        begin, end = _PEM_BEGIN.match(line) is not None, _PEM_END.match(line) is not None
        next_hex_block = _HEX_LINE.match(line) is not None and line.rstrip().endswith(":")
        if in_pem and not end:
            line = _pem_line(line)
        elif hex_block and _HEX_LAST.match(line):
            line = _HEX_LAST.sub(r"\1[HEX]", line)
        else:
            line = mask_line(line, user)
        in_pem = not end and (in_pem or begin)
        hex_block = next_hex_block
        line = printable(line + (MORE_CHARS if cut else "")).rstrip()
        if out and line == out[-1] and _ONLY_TOKENS.fullmatch(line):
            continue
        out.append(line)
    if more:
        out.append(MORE_LINES)
    while out and not out[-1]:
        out.pop()
    return out


def _pem_line(line: str) -> str:
    """A line inside PEM armour: its base64 changes with every fresh key (a private key's
    body is already the redaction marker, kept as it is)."""
    body = line.strip()
    if not body or body == KEY_MARKER:
        return line
    return line[: len(line) - len(line.lstrip())] + "[BASE64]"
