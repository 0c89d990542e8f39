"""The shipped knowledge base: every question of the seeds, answered for today, verified."""

from __future__ import annotations

import html
import json
import re

import pytest

from faqkb.load.loader import load_kb
from tests.kbutil import REPO

SEEDS = REPO.parent / "shared" / "seeds"
MODSSL_28 = SEEDS / "000_ace616bfd4bfa2a0.txt"
LATER = {"vhosts2": "httpd-2.0", "comp": "httpd-2.0", "srp": "httpd-2.4", "javadh": "httpd-2.4"}
OBSOLETE = re.compile(r"\bSSLMutex\b|\bstartssl\b|\bNameVirtualHost\b")


def norm(text: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


@pytest.fixture(scope="module")
def kb():
    return load_kb(REPO / "docs" / "faq", REPO / "snippets")


def seed_questions() -> list[tuple[str, str]]:
    text = MODSSL_28.read_text(encoding="utf-8", errors="replace")
    return [(ref, norm(q)) for ref, q in re.findall(r'<faq ref="([^"]+)"[^>]*>(.*?)</faq>', text, re.S)]


@pytest.mark.skipif(not MODSSL_28.is_file(), reason="../shared/seeds is not beside this checkout")
def test_every_modssl_28_question_has_its_entry(kb) -> None:
    questions = seed_questions()
    assert len(questions) == 50
    legacy = {(leg.ref, norm(leg.question)) for e in kb.entries.values() for leg in e.legacy
              if leg.source == "mod_ssl-2.8"}
    missing = [(ref, q) for ref, q in questions if (ref, q) not in legacy]
    assert not missing, f"questions without an entry carrying their anchor and verbatim text: {missing}"
    owners = {}
    for e in kb.entries.values():
        for leg in e.legacy:
            if leg.source == "mod_ssl-2.8":
                owners.setdefault((leg.ref, norm(leg.question)), []).append(e.id)
    assert all(len(v) == 1 for v in owners.values()), "each old question is one entry"


def test_later_questions_and_total(kb) -> None:
    refs = {(leg.source, leg.ref) for e in kb.entries.values() for leg in e.legacy}
    for ref, source in LATER.items():
        assert (source, ref) in refs, f"no entry carries {source} #{ref}"
    files = {p.stem for p in (REPO / "docs" / "faq").glob("*.yml") if not p.name.startswith("_")}
    assert set(kb.entries) == files, "every entry file is loaded"
    # The old FAQs' 50 + 4 questions, one entry each; the new questions carry no legacy items.
    assert len([e for e in kb.entries.values() if e.legacy]) == 50 + len(LATER)
    # Every entry, old or new, has its place in a section's reading order, exactly once.
    listed = [eid for s in kb.sections for eid in s.order]
    assert sorted(listed) == sorted(kb.entries), "every entry listed once in _sections.yml"
    assert all(kb.entries[eid].section == s.id for s in kb.sections for eid in s.order)


NEGATION = re.compile(r"\b(no longer|gone|removed|replaced|obsolete|deprecated|instead|not|never|"
                      r"don't|do not|nor|invalid|rejects?|refused?|fails?|old|older|disabled|"
                      r"dropped|without|historic\w*|legacy|was|were|no|ignored|ignores)\b", re.I)


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+|\n\s*\n|\n\s*[-*] ", text)


def test_no_obsolete_advice_outside_then_and_now(kb) -> None:
    """Obsolete directives, protocols and key sizes are never *recommended* outside the
    then-and-now notes: in answers only where the sentence says they are gone; in commands
    and httpd configs only where the entry demonstrates that they fail."""
    bad = []
    for e in kb.entries.values():
        for sentence in _sentences(e.answer):
            for m in OBSOLETE.finditer(sentence):
                if not NEGATION.search(sentence):
                    bad.append(f"{e.id}: answer recommends {m.group(0)}: {sentence.strip()[:120]}")
        for c in e.commands:
            weak = re.search(r"rsa:1024|genrsa\b.*\b1024\b|rsa_keygen_bits:1024|\bRC4\b|" + OBSOLETE.pattern,
                             c.run)
            if weak and c.expect.exit != "nonzero":
                bad.append(f"{e.id}: recommends {weak.group(0)!r} in a command that succeeds")
        if e.httpd and e.httpd.expect_start:
            m = OBSOLETE.search(e.httpd.config) or re.search(
                r"^\s*SSL(CipherSuite|Protocol)\b.*[\s:+](RC4|SSLv3|SSLv2)\b", e.httpd.config, re.M)
            if m:
                bad.append(f"{e.id}: an httpd config that starts uses {m.group(0).strip()!r}")
    assert not bad, bad


def test_tags_and_see_also_are_used(kb) -> None:
    tags = {t for e in kb.entries.values() for t in e.tags}
    assert 8 <= len(tags) <= 25, "a small controlled vocabulary, and used"
    assert all(e.tags for e in kb.entries.values())
    assert sum(bool(e.see_also) for e in kb.entries.values()) >= 40
    assert all(e.aliases for e in kb.entries.values())


def test_whole_kb_verifies(verified_kb) -> None:
    """Doc CI: every command of every entry passes against the real servers.

    On a copy of the KB with no cache (the session's one verification), so each command ran."""
    res = verified_kb.verify
    data = json.loads(res.stdout)
    failed = [r for r in data["commands"] if r["status"] != "passed"]
    assert not failed, json.dumps(failed, indent=1)[:5000]
    assert res.returncode == 0, res.stderr[-5000:]
    copy = load_kb(verified_kb.path / "docs" / "faq", verified_kb.path / "snippets")
    expected = sum(len(e.commands) for e in copy.entries.values())
    assert expected > 0
    assert data["totals"]["commands"] == data["totals"]["passed"] == len(data["commands"]) == expected
    assert sorted((r["entry"], r["index"]) for r in data["commands"]) == sorted(
        (e.id, i) for e in copy.entries.values() for i in range(len(e.commands)))


def test_at_least_ten_entries_reproduce_an_error(kb) -> None:
    reproducing = [e.id for e in kb.entries.values()
                   if any(c.expect.exit == "nonzero" for c in e.commands)
                   and any(c.expect.exit != "nonzero" for c in e.commands)]
    assert len(reproducing) >= 10, reproducing


def test_every_snippet_is_exercised_by_an_entry(kb) -> None:
    used = {s for e in kb.entries.values() for c in e.commands for s in c.snippets}
    used |= {s for e in kb.entries.values() if e.httpd for s in e.httpd.snippets}
    shipped = {p.name for p in (REPO / "snippets").iterdir() if p.is_file()}
    assert shipped and shipped <= used, f"snippets no entry runs: {sorted(shipped - used)}"


#: Commands another branch rewrites (sandbox9: the `chown www-data` of report-backtrace).
EXIT_ONLY_PENDING = {("report-backtrace", 2)}


def test_every_command_checks_something_beyond_its_exit_status(kb) -> None:
    """No exit-only command: each checks output, a server-log line, a file or a snapshot."""
    bare = []
    for e in kb.entries.values():
        for i, c in enumerate(e.commands, 1):
            ex = c.expect
            checks = (ex.stdout + ex.stderr + ex.output + ex.stdout_not + ex.stderr_not + ex.output_not
                      + ex.server_log + ex.server_log_not + ex.files)
            if not checks and c.snapshot is None and (e.id, i) not in EXIT_ONLY_PENDING:
                bare.append(f"{e.id} #{i}: {c.run[:60]}")
    assert not bare, f"commands that check only their exit status: {bare}"


def test_javadh_can_tell_whether_its_dh_setting_took_effect(kb) -> None:
    """The automatic group for the 2048-bit test key is 2048 bits: only a 3072-bit group
    appended to the certificate file shows that the setting works."""
    e = kb.entries["javadh"]
    assert e.httpd is not None and "DHParameters" not in e.httpd.config
    dhe = [c for c in e.commands if "DHE-RSA" in c.run]
    assert dhe and any("DH, 3072 bits" in p for c in dhe for p in c.expect.stderr)
    assert any("ffdhe3072.pem >>" in c.run for c in e.commands)


def test_claims_about_info_level_lines_set_that_level(kb) -> None:
    """httpd logs at warn unless the entry's config says otherwise: an expectation of an
    info-level line needs a LogLevel in the entry's own configuration."""
    info_only = re.compile(r"AH0(1876|1996|2008|2276|2568|1968|1969|2575)\b|no shared cipher")
    bad = [f"{e.id} #{i}" for e in kb.entries.values() for i, c in enumerate(e.commands, 1)
           if any(info_only.search(p) for p in c.expect.server_log)
           and not (e.httpd and re.search(r"^\s*LogLevel .*\binfo\b", e.httpd.config, re.M))]
    assert not bad, f"info-level log lines expected at httpd's default warn level: {bad}"
