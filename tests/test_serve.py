"""A real `mkdocs serve`: a snippet or template edit rebuilds the page; invalid content does
not hang the server (every page lists the problems above the last good build, and the terminal
prints them); a failing command's warning names the file and line, as `faqkb verify` does."""

from __future__ import annotations

import contextlib
import html
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.kbutil import MINIMAL, make_project, tool_env

ENTRY = MINIMAL.format(id="alpha") + """\
commands:
  - title: Greet
    snippets: [greet.sh]
    run: bash greet.sh
    expect: {stdout: ['^hello-']}
"""
#: How long one step may take on a loaded machine (a deadline to poll against, not a measure).
STEP = 180.0
#: A request must be answered within this: a server stuck on a failed build never answers.
REQUEST = 30.0


def _text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.port, self.log = proc, port, log

    def get(self, path: str) -> str | None:
        """The page at ``path``; None while the server does not listen yet. A request that is
        not answered within REQUEST seconds fails the test (the server hangs)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=REQUEST) as r:
                return r.read().decode()
        except (ConnectionError, urllib.error.URLError) as exc:
            if isinstance(getattr(exc, "reason", None), TimeoutError):
                raise AssertionError(f"GET {path} was not answered within {REQUEST} s") from exc
            return None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, path: str, ok: Callable[[str], bool], what: str) -> str:
        """Poll ``path`` until ``ok(visible text)``; fail with the server's output at the deadline."""
        deadline = time.monotonic() + STEP
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"mkdocs serve exited:\n{self.output()}"
            page = self.get(path)
            if page is not None and ok(_text(page)):
                return _text(page)
            time.sleep(0.2)
        raise AssertionError(f"no {what} within {STEP} s; server output:\n{self.output()}")


@contextlib.contextmanager
def serve(project: Path, home: Path) -> Iterator[Served]:
    log = project.parent / "serve.log"
    for _attempt in range(3):  # a free port can be taken before mkdocs binds it
        port = _free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
                                    cwd=project, env=tool_env(home), stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        served = Served(proc, port, log)
        try:
            deadline = time.monotonic() + STEP
            while proc.poll() is None and "Serving on" not in served.output() and time.monotonic() < deadline:
                time.sleep(0.1)
            if proc.poll() is not None and "Address already in use" in served.output():
                continue
            assert proc.poll() is None and "Serving on" in served.output(), served.output()
            yield served
            return
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=60)
    raise AssertionError(f"no free port for mkdocs serve:\n{log.read_text()}")


def test_serve_rebuilds_on_snippet_edits_and_keeps_answering_through_content_errors(tmp_path: Path) -> None:
    project = make_project(tmp_path / "kb", {"alpha": ENTRY})
    (project / "snippets" / "greet.sh").write_text("echo hello-one\n")
    (project / "faqkb_templates").mkdir()
    template = project / "faqkb_templates" / "entry.md.j2"
    template.write_text('{% include "default/entry.md.j2" %}\nFooter one.\n')
    entry = project / "docs" / "faq" / "alpha.yml"
    page = "/faq/alpha/"
    with serve(project, tmp_path) as server:
        server.wait_for(page, lambda t: "$ bash greet.sh\nhello-one" in t and "Footer one." in t, "first page")
        watching = next(ln for ln in server.output().splitlines() if "Watching paths for changes" in ln)
        assert "'snippets'" in watching and "'faqkb_templates'" in watching, watching

        # So does the team's template folder: an edit re-renders the page.
        template.write_text('{% include "default/entry.md.j2" %}\nFooter two.\n')
        server.wait_for(page, lambda t: "Footer two." in t, "page with the edited template")

        # A snippet lives outside docs/: its edit re-verifies the entry and reloads the page.
        (project / "snippets" / "greet.sh").write_text("echo hello-two\n")
        server.wait_for(page, lambda t: "hello-two" in t, "page with the edited snippet's output")

        # Invalid content: the server answers, every page lists the problems over the last good build.
        entry.write_text(ENTRY.replace("section: certificates", "section: certificates\nid: again"))
        problem = f"{entry}:3:1: duplicate key 'id' (first defined at line 1)"
        text = server.wait_for(page, lambda t: problem in t, "page listing the problem")
        assert "faqkb: 1 problem in the FAQ; the FAQ pages show the last good build" in text
        assert "$ bash greet.sh\nhello-two" in text  # the last good page, under the notice
        home = server.get("/")
        assert home is not None and problem in _text(home)  # on the team's own pages too
        assert f"ERROR   -  {problem}" in server.output()  # and in the terminal

        # Fixed, but a command now fails: a warning at the command's file:line, as verify says.
        entry.write_text(ENTRY.replace("'^hello-'", "'^goodbye'"))
        text = server.wait_for(page, lambda t: "Verification FAILED" in t, "page with the failed command")
        assert "problem in the FAQ" not in text
        line = entry.read_text().splitlines().index("    run: bash greet.sh") + 1  # its run: line
        assert f"WARNING -  {entry}:{line}: entry 'alpha', command 1 FAILED: Greet" in server.output()


def test_serve_starts_and_answers_when_the_content_is_invalid_from_the_start(tmp_path: Path) -> None:
    project = make_project(tmp_path / "kb", {"alpha": "id: alpha\nsection: nosuch\n"})
    with serve(project, tmp_path) as server:
        text = server.wait_for("/faq/", lambda t: "problems in the FAQ" in t, "stand-in page")
        assert "the FAQ pages cannot be shown until they are fixed" in text
        assert "alpha.yml:2:10: unknown section 'nosuch'" in text
        (project / "docs" / "faq" / "alpha.yml").write_text(MINIMAL.format(id="alpha"))
        server.wait_for("/faq/certificates/", lambda t: "What is alpha?" in t, "the fixed FAQ")
