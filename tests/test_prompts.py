"""Every command line gets the prompt a reader's bash shows (``$ `` or ``> ``), the page's
highlighter reads them so, and copying a block takes the commands only."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest

from faqkb.run.shellwords import scan, with_prompts
from tests.kbutil import MINIMAL, chromium_report, make_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize(("text", "shown"), [
    ("git init -q demo\ncd demo\ngit status", "$ git init -q demo\n$ cd demo\n$ git status"),
    ("echo 'one\ntwo'\necho three", "$ echo 'one\n> two'\n$ echo three"),
    ('echo "a\nb" # it\'s\necho d', '$ echo "a\n> b" # it\'s\n$ echo d'),
    ("cat > f <<'EOF'\nline $x\n  EOF\nEOF\nwc -l f", "$ cat > f <<'EOF'\n> line $x\n>   EOF\n> EOF\n$ wc -l f"),
    ("cat <<-END | sort\n\tb\n\tEND\necho after", "$ cat <<-END | sort\n> \tb\n> \tEND\n$ echo after"),
    ("openssl req -new \\\n  -key k\nls", "$ openssl req -new \\\n>   -key k\n$ ls"),
    ("git log |\n  head -1\necho done", "$ git log |\n>   head -1\n$ echo done"),
    ("true &&\n  false ||\n  echo x", "$ true &&\n>   false ||\n>   echo x"),
    ("if true; then\n  echo a\nfi\necho b", "$ if true; then\n>   echo a\n> fi\n$ echo b"),
    ("for i in 1 2\ndo\n  echo $i\ndone", "$ for i in 1 2\n> do\n>   echo $i\n> done"),
    ("x=$(\n  date\n)\necho $x", "$ x=$(\n>   date\n> )\n$ echo $x"),
    ("case a in\n a) echo;;\nesac\necho z", "$ case a in\n>  a) echo;;\n> esac\n$ echo z"),
    ("f() {\n echo\n}\nf", "$ f() {\n>  echo\n> }\n$ f"),
    ("( cd /\n  ls )\npwd", "$ ( cd /\n>   ls )\n$ pwd"),
])
def test_each_line_gets_the_prompt_bash_shows(text: str, shown: str) -> None:
    assert with_prompts(text) == shown


def test_unclosed_or_deep_text_ends_the_scan_quietly() -> None:
    assert with_prompts("echo 'never closed\nmore") == "$ echo 'never closed\n> more"
    deep = "echo " + "$(" * 5000 + "x" + ")" * 5000
    assert scan(deep).commands[0] == "echo"  # no recursion error, linear


def test_the_page_prompts_every_command_line(tmp_path: Path, faqkb) -> None:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + """\
commands:
  - run: |
      mkdir demo
      cat > demo/notes.txt <<'END'
      first line
      END
      wc -l < demo/notes.txt
    expect: {stdout: ['^1$']}
  - run: printf '%s\\n' 'one line' '> not a prompt'
"""})
    out = tmp_path / "out"
    assert faqkb(project, "render", "--out", str(out)).returncode == 0, "render failed"
    page = (out / "faq" / "alpha.md").read_text()
    assert ("```faqkb-console\n$ mkdir demo\n$ cat > demo/notes.txt <<'END'\n> first line\n> END\n"
            "$ wc -l < demo/notes.txt\n1\n```") in page
    # The stock lexer does for a block whose only `> ` line is output.
    assert "```console\n$ printf '%s\\n' 'one line' '> not a prompt'\none line\n> not a prompt\n```" in page


def _site(tmp_path: Path, mkdocs) -> Path:
    project = make_project(tmp_path / "kb", {"alpha": MINIMAL.format(id="alpha") + """\
commands:
  - run: |
      echo 'one
      two' | wc -l
      cat <<EOF
      > quoted
      EOF
  - run: echo out && echo '> out too'
"""})
    # No stylesheet of our own: the plugin adds faqkb's, whose rules make copy take commands only.
    (project / "mkdocs.yml").write_text(
        "site_name: Test KB\ntheme: {name: material, features: [content.code.copy]}\nplugins: [faqkb]\n"
        "markdown_extensions: [attr_list, md_in_html, admonition, "
        "pymdownx.details, pymdownx.superfences, pymdownx.highlight]\n")
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    return project / "site"


def test_the_highlighter_reads_continuations_as_commands(tmp_path: Path, mkdocs) -> None:
    page = (_site(tmp_path, mkdocs) / "faq" / "alpha" / "index.html").read_text()
    block = re.findall(r"<code>(.*?)</code></pre>", page, re.S)
    prompts = [html.unescape(p) for p in re.findall(r'<span class="gp">([^<]*)</span>', block[0])]
    assert prompts == ["$ ", "> ", "$ ", "> ", "> "]
    output = [html.unescape(o) for o in re.findall(r'<span class="go">([^<]*)</span>', block[0])]
    assert output == ["2", "> quoted"]
    second = [html.unescape(o) for o in re.findall(r'<span class="go">([^<]*)</span>', block[1])]
    assert second == ["out", "> out too"]  # after a finished command, `> ` is output


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (make test installs it)")
def test_copying_a_block_takes_the_commands_only(tmp_path: Path, mkdocs) -> None:
    site = _site(tmp_path, mkdocs)
    # What Material's copy button copies: the block's innerText while it is marked data-md-copying.
    (site / "copytest.html").write_text("""<!doctype html><html><head>
<link rel="stylesheet" href="assets/faqkb.css"></head><body><div id="page"></div><pre id="out"></pre>
<script>
fetch("faq/alpha/").then(r => r.text()).then(text => {
  const doc = new DOMParser().parseFromString(text, "text/html");
  document.getElementById("page").innerHTML = doc.querySelector("article").innerHTML;
  const got = [];
  for (const code of document.querySelectorAll(".highlight code")) {
    code.setAttribute("data-md-copying", "");
    got.push(code.innerText.trimEnd());
    code.removeAttribute("data-md-copying");
  }
  document.getElementById("out").textContent = JSON.stringify(got);
});
</script></body></html>""")
    raw = chromium_report(CHROMIUM, site, "copytest.html")
    assert isinstance(raw, list)
    copied = [re.sub(r"\n+", "\n", c) for c in raw]
    assert copied == ["echo 'one\ntwo' | wc -l\ncat <<EOF\n> quoted\nEOF", "echo out && echo '> out too'"]
