"""Outputs in the reader's terms: the sandbox is the reader's directory (``reader_dir``), its home
the reader's home, on the page, in expectations and in search alike."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.kbutil import MINIMAL, https_vhost, make_project, set_plugin_options

COMMANDS = """\
commands:
  - run: pwd && echo "$HOME" && cd "$(mktemp -d)" && pwd | sed 's/tmp\\..*/tmp.X/'
    expect: {stdout: ['^/home/user/demo$', '^/home/user$', '^/tmp/tmp.X$']}
  - run: python3 -c 'import os; print(os.path.abspath("demo/.git"))'
    expect: {stdout: ['^/home/user/demo/demo/\\.git$']}
  - run: cat "$PWD/missing.txt"
    expect: {exit: 1, stderr: ['^cat: /home/user/demo/missing\\.txt: No such file or directory$']}
"""


def test_outputs_show_the_readers_directory_and_home(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + COMMANDS})
    res = faqkb(project, "verify")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0
    page = (out / "faq" / "alpha.md").read_text()
    assert "/home/user/demo/demo/.git\n" in page
    assert "cat: /home/user/demo/missing.txt: No such file or directory" in page
    assert str(tmp_path) not in page and "faqkb-alpha" not in page and ".home" not in page
    # The offline index holds what the page shows: the reader's path finds the entry.
    hits = faqkb(project, "search", "--json", "/home/user/demo/missing.txt")
    assert hits.returncode == 0 and json.loads(hits.stdout)[0]["id"] == "alpha", hits.stdout


def test_reader_dir_and_home_are_options_and_part_of_the_cache_key(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha") + """\
commands:
  - run: touch xfile
  - run: pwd && echo ~ && ls -d "$PWD"/x*
    expect: {stdout: ['^/srv/project$', '^/home/ann$', '^/srv/project/xfile$']}
"""})
    first = faqkb(project, "verify", "--json")
    assert first.returncode == 1  # the defaults: /home/user/demo
    assert any("stdout does not match /^/srv/project$/" in f for r in json.loads(first.stdout)["commands"]
               for f in r.get("failures", []))
    set_plugin_options(project, reader_dir="/srv/project", reader_home="/home/ann")
    second = faqkb(project, "verify", "--json")
    assert second.returncode == 0, second.stdout
    assert {r["status"] for r in json.loads(second.stdout)["commands"]} == {"passed"}
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("/srv/project", "/srv/other"))
    third = json.loads(faqkb(project, "verify", "--json").stdout)
    assert {r["status"] for r in third["commands"]} == {"passed", "failed"}  # run again, not cached


def test_a_bad_reader_dir_is_refused_at_its_line(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path, {"alpha": MINIMAL.format(id="alpha")})
    for bad in ("relative/dir", "/", "/a/../b"):
        cfg = set_plugin_options(project, reader_dir=bad)
        res = faqkb(project, "verify")
        assert res.returncode == 2, res.stderr
        assert re.search(rf"{re.escape(str(cfg))}:3:\d+: reader_dir must be an absolute directory path "
                         r"such as /home/user/demo", res.stderr), res.stderr
        cfg.write_text(re.sub(r"plugins: \[.*\]", "plugins: [faqkb]", cfg.read_text()))


def test_httpd_names_the_files_as_the_config_names_them(tmp_path: Path, faqkb) -> None:
    # The "configured from" line is logged at info; httpd runs at its default level (warn).
    text = MINIMAL.format(id="alpha") + https_vhost("LogLevel ssl:info") + """\
commands:
  - run: "grep -o 'configured from .*' {{ show: /var/log/apache2/error.log }}{{ live: logs/error_log }}"
    scenario: httpd
    expect:
      stdout: ['^configured from /etc/ssl/certs/fullchain\\.crt and /etc/ssl/private/server\\.key$']
"""
    project = make_project(tmp_path, {"alpha": text})
    res = faqkb(project, "verify")
    assert res.returncode == 0, res.stderr
