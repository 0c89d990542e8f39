"""`faqkb new` writes a commit-ready draft: a schema reference that is the same for every
teammate, checked section and tags, and placeholders that lint refuses until replaced."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.kbutil import REPO, make_project

SCHEMA_LINE = "# yaml-language-server: $schema=.entry.schema.json"
PACKAGED = json.loads((REPO / "faqkb" / "schema" / "entry.schema.json").read_text("utf-8"))


def _new(faqkb, project: Path, entry_id: str, *more: str):
    return faqkb(project, "new", entry_id, "--section", "certificates", "--question", "How do I?", *more)


def test_the_schema_reference_is_the_same_everywhere(tmp_path: Path, faqkb, mkdocs) -> None:
    one = make_project(tmp_path / "one")
    two = make_project(tmp_path / "deeper" / "two")
    for project in (one, two):
        res = _new(faqkb, project, "q")
        assert res.returncode == 0, res.stderr
        assert f"{project}/docs/faq/.entry.schema.json: written" in res.stderr
    texts = [(p / "docs" / "faq" / "q.yml").read_text() for p in (one, two)]
    assert texts[0] == texts[1] and texts[0].splitlines()[0] == SCHEMA_LINE
    written = (one / "docs" / "faq" / ".entry.schema.json").read_text("utf-8")
    assert written == (two / "docs" / "faq" / ".entry.schema.json").read_text("utf-8")
    printed = faqkb(tmp_path, "schema")
    assert printed.returncode == 0 and printed.stdout == written
    schema = json.loads(written)
    assert schema.pop("$comment").startswith("Written by faqkb ")
    assert schema == PACKAGED
    # the dot-file is neither an entry nor a page: fill in the draft and build the site
    draft = one / "docs" / "faq" / "q.yml"
    draft.write_text(draft.read_text().replace("Write the answer here, in Markdown (faqkb lint fails "
                                               "until you do).", "Like this.")
                     .replace("echo 'Replace this with the command the answer tells readers to run'",
                              "echo done"))
    assert faqkb(one, "lint").returncode == 0
    res = mkdocs(one, "build", "--strict")
    assert res.returncode == 0, res.stderr
    assert not list((one / "site").rglob("*schema*")) and not list((one / "site").rglob("*.yml"))
    again = _new(faqkb, one, "r")  # nothing to refresh: no line about it
    assert again.returncode == 0 and ".entry.schema.json" not in again.stderr


def test_faqkb_refreshes_its_own_schema_file_only(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path)
    target = project / "docs" / "faq" / ".entry.schema.json"
    target.write_text(json.dumps({"$comment": "Written by faqkb 0.0.1 (faqkb new)", "type": "object"}))
    res = _new(faqkb, project, "a")
    assert res.returncode == 0, res.stderr
    assert f"{target}: refreshed" in res.stderr
    assert json.loads(target.read_text())["required"] == PACKAGED["required"]

    newer = json.dumps({"$comment": "Written by faqkb 99.0 (faqkb new)", "type": "object"})
    target.write_text(newer)
    res = _new(faqkb, project, "b")
    assert res.returncode == 0 and f"{target}: kept: a newer faqkb (99.0) wrote it" in res.stderr
    assert target.read_text() == newer

    mine = '{"$comment": "our own schema, extended", "type": "object"}\n'
    target.write_text(mine)
    res = _new(faqkb, project, "c")
    assert res.returncode == 0
    assert f"{target}: kept: it is not a file faqkb wrote (no faqkb signature)" in res.stderr
    res = faqkb(project, "schema", "--write")
    assert res.returncode == 2 and "not a file faqkb wrote" in res.stderr
    assert target.read_text() == mine
    target.unlink()
    res = faqkb(project, "schema", "--write")
    assert res.returncode == 0 and f"{target}: written" in res.stderr
    assert target.read_text() == faqkb(project, "schema").stdout
    umask = os.umask(0o022)
    os.umask(umask)
    assert oct(target.stat().st_mode & 0o777) == oct(0o666 & ~umask)  # a plain file, not private
    assert oct((project / "docs" / "faq" / "a.yml").stat().st_mode & 0o777) == oct(0o666 & ~umask)


def test_new_refuses_an_unknown_section_or_tag(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, tags="keys: about keys\nciphers: about ciphers\n")
    faq = project / "docs" / "faq"
    res = faqkb(project, "new", "a", "--section", "certs", "--question", "Q?")
    assert res.returncode == 2
    assert res.stderr.strip() == (f"faqkb: unknown section 'certs'; known: certificates, protocol "
                                  f"(listed in {faq}/_sections.yml)")
    res = faqkb(project, "new", "a", "--section", "protocl", "--question", "Q?")
    assert "unknown section 'protocl'; did you mean 'protocol'? known: certificates, protocol" in res.stderr
    res = _new(faqkb, project, "a", "--tag", "keys", "--tag", "cipher")
    assert res.returncode == 2
    assert res.stderr.strip() == (f"faqkb: unknown tag 'cipher'; did you mean 'ciphers'? known: ciphers, "
                                  f"keys (add it to {faq}/_tags.yml first)")
    res = _new(faqkb, project, "a", "--tag", "Keys")
    assert res.returncode == 2 and "tag 'Keys' is not allowed" in res.stderr
    assert sorted(p.name for p in faq.iterdir()) == ["_sections.yml", "_tags.yml"]  # nothing written
    res = _new(faqkb, project, "a", "--tag", "keys", "--tag", "ciphers")
    assert res.returncode == 0, res.stderr
    assert "\ntags: [keys, ciphers]\n" in (faq / "a.yml").read_text()
    (faq / "_tags.yml").unlink()  # without a vocabulary any tag goes, as for lint
    assert _new(faqkb, project, "b", "--tag", "anything").returncode == 0


def test_an_untouched_draft_fails_lint_and_builds(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path)
    assert _new(faqkb, project, "draft").returncode == 0
    path = project / "docs" / "faq" / "draft.yml"
    text = path.read_text()
    required = PACKAGED["required"]
    # valid for this schema: `legacy` is written only while the schema requires it
    assert ("\nlegacy:\n" in text) == ("legacy" in required)
    res = faqkb(project, "lint")
    assert res.returncode == 2
    assert res.stderr.splitlines()[:2] == [
        f"{path}:7:9: the answer is still faqkb new's placeholder; write the answer",
        f"{path}:{text.splitlines().index(next(ln for ln in text.splitlines() if 'Replace this' in ln)) + 1}"
        ":10: command 1 is still faqkb new's placeholder; write the command the answer tells readers "
        "to run, or delete it",
    ]
    assert faqkb(project, "build", "--no-verify").returncode == 2
    # the author may run its commands before the answer is written
    res = faqkb(project, "try", "draft")
    assert res.returncode == 0, res.stderr
    # a draft of an earlier faqkb new is a draft too
    path.write_text(text.replace("Write the answer here, in Markdown (faqkb lint fails until you do).",
                                 "Write today's answer here, in Markdown.")
                    .replace("echo 'Replace this with the command the answer tells readers to run'",
                             "echo done"))
    res = faqkb(project, "lint")
    assert res.returncode == 2 and "the answer is still faqkb new's placeholder" in res.stderr
    path.write_text(path.read_text().replace("Write today's answer here, in Markdown.", "Done."))
    res = faqkb(project, "lint")
    assert res.returncode == 0, res.stderr
