"""Error codes people paste, decoded so that every way of writing one reason finds it.

OpenSSL 1.x prints ``error:1408F119:SSL routines:ssl3_get_record:decryption failed...``
(``lib << 24 | func << 12 | reason``), OpenSSL 3 prints ``error:0A000119:SSL routines::...``
(``lib << 23 | reason``): the same library (20, SSL) and reason (0x119), written
differently. Both sides of the search turn a code into one word naming the library and the
reason (:func:`reason_word`), so a 1.x code finds the entry that reproduced the reason on
OpenSSL 3. httpd's ``AH02578`` numbers are words already; their texts come from the
installed httpd's own binaries (:func:`httpd_messages`), at index time.

A leaf of the query side: it imports only :mod:`re`. The tables are read at index time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

#: An OpenSSL packed error code as printed (``error:0A000119``) or pasted alone (``1408F119``).
_CODE = re.compile(r"(?<![0-9A-Za-z])(?:error:)?([0-9A-Fa-f]{8})(?![0-9A-Za-z])")
_AH = re.compile(rb"AH(\d{5}): ([\x20-\x7e]{4,300})\x00")
_PRINTF = re.compile(r"%[-+ #0-9.*]*[a-zA-Z]+|\(null\)")
#: OpenSSL's libraries whose reasons people meet in a TLS FAQ (the numbers of ``ERR_LIB_*``,
#: the same in 1.x and 3.x): the reason table is read for these only.
LIBRARIES = (2, 3, 4, 6, 8, 9, 11, 13, 14, 15, 16, 20, 32, 34, 35, 36, 38, 46, 57, 60)
#: Where distributions put httpd's modules and binary (their ``AH`` message texts).
HTTPD_PLACES = ("/usr/lib/apache2/modules", "/usr/lib/apache2", "/usr/sbin/apache2",
                "/usr/lib64/httpd/modules", "/usr/lib/httpd/modules", "/usr/sbin/httpd")


def decode(code: int) -> tuple[int, int] | None:
    """``(library, reason)`` of a packed OpenSSL code, in whichever form it is written.

    A 3.x code leaves bits 12-22 clear (reasons are below 4096), where a 1.x code has its
    function number; system errors (top bit, 3.x) and codes without a library are None.
    """
    if code & 0x80000000:
        return None
    if (code >> 12) & 0x7FF == 0 and code >> 23:
        return (code >> 23) & 0xFF, code & 0xFFF
    if code >> 24:
        return (code >> 24) & 0xFF, code & 0xFFF
    return None


def reason_word(lib: int, reason: int) -> str:
    """The one word both OpenSSL forms of a reason are indexed and searched as."""
    return f"osslerr{lib}r{reason}"


def openssl_reasons(text: str) -> Iterator[tuple[int, int]]:
    """The ``(library, reason)`` of every OpenSSL error code in ``text``, in order."""
    for m in _CODE.finditer(text):
        # a bare 8-hex word counts only with a digit and a letter (not a date, not a word)
        word = m.group(1)
        if not m.group(0).startswith("error:") and (word.isdigit() or word.isalpha()):
            continue
        pair = decode(int(word, 16))
        if pair is not None:
            yield pair


def code_words(text: str) -> list[str]:
    """:func:`reason_word` of each OpenSSL code in ``text``, without repeats."""
    return list(dict.fromkeys(reason_word(*p) for p in openssl_reasons(text)))


def message_words(text: str) -> str:
    """A message format (``Init: Unable to read pass phrase for %s``) as the words it prints."""
    return _PRINTF.sub(" ", text)


def httpd_messages(places: Iterable[str] = HTTPD_PLACES) -> dict[str, str]:
    """``{"AH02578": "Init: Unable to read pass phrase ..."}`` from httpd's installed binaries
    (each message is one C string, its number glued on by ``APLOGNO``); empty without httpd."""
    out: dict[str, str] = {}
    files: list[Path] = []
    for place in map(Path, places):
        if place.is_dir():
            files += sorted(place.glob("*.so"))
        elif place.is_file():
            files.append(place)
    for path in files:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        for num, msg in _AH.findall(data):
            out.setdefault(f"AH{num.decode()}", message_words(msg.decode("ascii")).strip())
    return out
