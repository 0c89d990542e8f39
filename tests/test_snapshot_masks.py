"""The snapshot masks: each volatile format becomes its token, nothing stable is touched, the
result is stable under a second pass, and the cost stays linear whatever the output holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faqkb.load.checks import nested_repeat
from faqkb.snapshots import masks
from faqkb.snapshots.masks import MASKED, MAX_LINES, MORE_LINES, mask_line, normalize
from tests.kbutil import tool_env

CASES = [
    # dates and times
    ("notBefore=Dec  1 12:00:00 2026 GMT", "notBefore=[DATE]"),
    ("            Not After : Jan 10 08:05:09 2027 GMT", "            Not After : [DATE]"),
    ("Date: Tue, 01 Dec 2026 12:00:00 GMT", "Date: [DATE]"),
    ("Tue Dec  1 12:00:00 UTC 2026", "[DATE]"),
    ("Tue, 01 Dec 2026 12:00:00 +0000", "[DATE]"),
    ("[Tue Dec 01 12:00:00.123456 2026] [ssl:info] [pid 1234:tid 140512345] AH01964: Connection",
     "[[DATE]] [ssl:info] [pid [PID]:tid [PID]] AH01964: Connection"),
    ('127.0.0.1 - - [01/Dec/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 45',
     '127.0.0.1 - - [[DATE]] "GET / HTTP/1.1" 200 45'),
    ("2026-12-01T12:00:00Z, 2026-12-01 12:00:00.123 +0000, 2026-12-01", "[DATE], [DATE], [DATE]"),
    ("Dec  1 12:00:00 host sshd", "[DATE] host sshd"),
    ("    Start Time: 1796129441", "    Start Time: [DATE]"),
    ("   10:UTCTIME           :261201120000Z", "   10:UTCTIME           :[DATE]"),
    ("OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)",
     "OpenSSL 3.0.19 [DATE] (Library: OpenSSL 3.0.19 [DATE])"),
    ("elapsed 00:00:01 at 12:34:56", "elapsed [TIME] at [TIME]"),
    # serials, hex strings and dumps
    ("        Serial Number: 4096 (0x1000)", "        Serial Number: [SERIAL]"),
    ("serial=5A3B9F0011223344", "serial=[SERIAL]"),
    ("SHA256 Fingerprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89",
     "SHA256 Fingerprint=[HEX]"),
    ("                keyid:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:01:02:03:04",
     "                keyid:[HEX]"),
    ("                    00:c3:5a:11:22:33:44:55:66:77:88:99:aa:bb:cc:", "                    [HEX]"),
    ("    Session-ID: 3F2A9C1BD2E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0",
     "    Session-ID: [HEX]"),
    ("d41d8cd98f00b204e9800998ecf8427e  empty.txt", "[HEX]  empty.txt"),
    ("0000 - 16 03 01 02 00 01 00 01-fc 03 03 aa bb cc dd ee   ..........3.....", "[HEX]"),
    ("00000010: 4865 6c6c 6f20 776f 726c 640a            Hello world.", "[HEX]"),
    ("id 123e4567-e89b-12d3-a456-426614174000", "id [HEX]"),
    ("CPUINFO: OPENSSL_ia32cap=0xfffa3203078bffff:0x40069c219c07ab", "CPUINFO: OPENSSL_ia32cap=[HEX]:[HEX]"),
    # ports (not the reader's 443 and 80), pids
    ("* Connected to localhost (127.0.0.1) port 443 (#0)", "* Connected to localhost (127.0.0.1) port 443 (#0)"),
    ("client 127.0.0.1:54321 on localhost:46701, [::1]:8443; port 54321; Port: 40000",
     "client 127.0.0.1:[PORT] on localhost:[PORT], [::1]:[PORT]; port [PORT]; Port: [PORT]"),
    ("https://localhost/ and http://localhost:80/", "https://localhost/ and http://localhost:80/"),
    ("httpd (pid 31337) already running; PID=42", "httpd (pid [PID]) already running; PID=[PID]"),
    # durations and openssl speed
    ("real\t0m0.010s", "real\t[DURATION]"),
    ("took 0.123 s, then 12ms, 2 seconds, 5 min", "took [DURATION], then [DURATION], [DURATION], [DURATION]"),
    ("Doing 2048 bits private rsa's for 1s: 490 2048 bits private RSA's in 0.36s",
     "Doing 2048 bits private rsa's for [DURATION]: [COUNT] 2048 bits private RSA's in [DURATION]"),
    ("rsa 2048 bits 0.000735s 0.000020s   1361.1  50787.5",
     "rsa 2048 bits [DURATION] [DURATION]   [RATE]  [RATE]"),
    ("AES-128-GCM    1234567.89k  2345678.90k", "AES-128-GCM    [RATE]  [RATE]"),
    # stable text stays as it is
    ("Protocol  : TLSv1.3 over HTTP/1.1 with curl 8.5.0, took 0.2s",
     "Protocol  : TLSv1.3 over HTTP/1.1 with curl 8.5.0, took [DURATION]"),
    ("Verify return code: 0 (ok)", "Verify return code: 0 (ok)"),
    ("    Timeout   : 7200 (sec)", "    Timeout   : 7200 (sec)"),
    ("subject=CN = localhost, O = faqkb test", "subject=CN = localhost, O = faqkb test"),
    ("the answer is 42; 2048 bits; s_client 3; Exponent: 65537 (0x10001)",
     "the answer is 42; 2048 bits; s_client 3; Exponent: 65537 (0x10001)"),
    ("[private key redacted]", "[private key redacted]"),
]


@pytest.mark.parametrize(("line", "masked"), CASES, ids=[c[0][:40] for c in CASES])
def test_each_format_becomes_its_token(line: str, masked: str) -> None:
    assert normalize(line) == [masked]


def test_masking_twice_changes_nothing() -> None:
    text = "\n".join(line for line, _ in CASES) + "\n" + PEM + MODULUS
    once = normalize(text)
    assert normalize("\n".join(once)) == once


PEM = """\
-----BEGIN CERTIFICATE-----
MIIDazCCAlOgAwIBAgIUY2GeAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ab
MIIDazCCAlOgAwIBAgIUY2GeAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/cd
Ag==
-----END CERTIFICATE-----
-----BEGIN PRIVATE KEY-----
[private key redacted]
-----END PRIVATE KEY-----
"""
MODULUS = """\
            Modulus:
                00:c3:5a:11:22:33:44:55:66:77:88:99:aa:bb:cc:
                00:c3:5a:11:22:33:44:55:66:77:88:99:aa:bb:dd:
                e1
            Exponent: 65537 (0x10001)
"""


def test_blocks_of_volatile_lines_are_kept_once() -> None:
    assert normalize(PEM) == ["-----BEGIN CERTIFICATE-----", "[BASE64]", "-----END CERTIFICATE-----",
                              "-----BEGIN PRIVATE KEY-----", "[private key redacted]",
                              "-----END PRIVATE KEY-----"]
    # a key's modulus: however many lines it takes, and its last line's one byte
    assert normalize(MODULUS) == ["            Modulus:", "                [HEX]",
                                  "            Exponent: 65537 (0x10001)"]
    assert normalize("    42\nplain\n    42") == ["    42", "plain", "    42"]  # not after a hex block


def test_line_ends_controls_and_trailing_space() -> None:
    text = "HTTP/1.1 200 OK\r\nred \x1b[31malert\x1b[0m  \r\n\n  0%\r 50%\r100% done\n\n\n"
    assert normalize(text) == ["HTTP/1.1 200 OK", "red \\x1b[31malert\\x1b[0m", "", "100% done"]


def test_long_output_is_cut_where_the_page_would_not_take_it() -> None:
    lines = normalize("x" * 5000 + "\n" + "y\n" * (2 * MAX_LINES))
    assert lines[0] == "x" * masks.MAX_LINE_CHARS + masks.MORE_CHARS
    assert len(lines) == MAX_LINES + 1 and lines[-1] == MORE_LINES


def test_an_authors_masks() -> None:
    assert normalize("token=abc123 for build-42", ("token=(\\w+)", "build-\\d+")) == [
        f"token={MASKED} for {MASKED}"]
    assert normalize("a=1 b=2", ("(a)=(1)",)) == [f"{MASKED}={MASKED} b=2"]  # each group
    assert normalize("nothing here", ("x*",)) == ["nothing here"]  # empty matches mask nothing
    assert normalize("ok", ("(",)) == ["ok"]  # a broken regex (lint refuses it) does not crash


def test_no_builtin_pattern_repeats_a_repeat() -> None:
    patterns = [p for p, _ in masks.BUILTIN] + [v for v in vars(masks).values()
                                                if hasattr(v, "pattern") and hasattr(v, "sub")]
    assert patterns
    assert [p.pattern for p in patterns if nested_repeat(p.pattern)] == []


# Lines built to make a backtracking pattern take quadratic time: long runs of what a pattern
# starts with, that then fail to match. Each is 200,000 characters, far beyond the per-line cut,
# so a pattern that is not linear would take hours here, where a linear one takes milliseconds.
HOSTILE = ["1" * 200_000, "a" * 200_000 + "g", "ab:" * 66_000 + "g", "12:" * 66_000, "Dec  1 " * 28_000,
           "Tue, 01 Dec " * 16_000, "1." * 100_000, "Doing " + "x" * 200_000, " " * 200_000 + "x",
           "pid " * 50_000, "port " * 40_000, "localhost:" * 20_000, "1.1.1.1:" * 25_000,
           "0x" * 100_000, "-----BEGIN " + "A " * 100_000, "1m" * 100_000, "1 " * 100_000,
           "[A" * 100_000, "Serial Number: " * 13_000, "serial=" * 28_000, "0000 - " * 28_000,
           "2026-12-01" * 20_000, "[DURATION] " + "1.1 " * 50_000]


def test_masking_cost_is_linear_in_the_line(tmp_path: Path) -> None:
    script = tmp_path / "hostile.py"
    # Every pattern on every line, on its own: in mask_line an earlier mask rewrites the line
    # (a digit run becomes [HEX]) before a later pattern could show how it fares on it.
    script.write_text(
        "import re\nfrom faqkb.snapshots import masks\n"
        "patterns = [v for v in vars(masks).values() if isinstance(v, re.Pattern)]\n"
        f"for line in {HOSTILE!r}:\n"
        "    masks.mask_line(line)\n"
        "    for p in patterns:\n        p.sub('', line)\n        p.fullmatch(line)\n"
        "print('done')\n")
    # A hang guard, not a timing assertion: linear masking ends in about a second.
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         env=tool_env(tmp_path), cwd=tmp_path, start_new_session=True)
    assert res.returncode == 0 and res.stdout == "done\n", res.stderr


def test_mask_line_leaves_a_plain_line_alone() -> None:
    assert mask_line("nothing volatile here") == "nothing volatile here"
