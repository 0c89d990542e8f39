"""Helpers shared by the test modules: small knowledge bases on disk, running faqkb, processes.

Plain functions (no fixtures) so that module- and session-scoped fixtures can use them too;
tests normally reach them through the fixtures of ``conftest.py``.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import venv
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent

#: How a test starts the ``faqkb`` command: the same entry point as the console script.
FAQKB = (sys.executable, "-m", "faqkb")

# What the tools the tests start may inherit; everything else is set explicitly below.
_INHERITED = ("PATH", "TMPDIR", "USER", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE")

SECTIONS = """\
- id: certificates
  title: Certificates
- id: protocol
  title: Protocol
"""

MINIMAL = """\
id: {id}
section: certificates
question: What is {id}?
answer: |
  An answer.
legacy:
  - {{source: test, ref: {id}, question: "What is {id}?"}}
"""


def make_project(tmp: Path, entries: dict[str, str] | None = None, *, tags: str | None = None) -> Path:
    """A project dir with mkdocs.yml, docs/faq/_sections.yml and the given entry files."""
    (tmp / "docs" / "faq").mkdir(parents=True)
    (tmp / "snippets").mkdir()
    (tmp / "docs" / "index.md").write_text("# Test KB\n")
    (tmp / "mkdocs.yml").write_text(
        "site_name: Test KB\ntheme: {name: material}\nplugins: [faqkb]\n"
        "markdown_extensions: [attr_list, md_in_html, admonition, pymdownx.details, pymdownx.superfences]\n"
    )
    (tmp / "docs" / "faq" / "_sections.yml").write_text(SECTIONS)
    if tags is not None:
        (tmp / "docs" / "faq" / "_tags.yml").write_text(tags)
    for name, text in (entries or {}).items():
        (tmp / "docs" / "faq" / f"{name}.yml").write_text(textwrap.dedent(text))
    return tmp


def copy_real_kb(tmp: Path) -> Path:
    """A copy of this repository's knowledge base and mkdocs.yml (never its .faqkb-cache)."""
    tmp.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", tmp / "mkdocs.yml")
    shutil.copytree(REPO / "docs", tmp / "docs")
    shutil.copytree(REPO / "snippets", tmp / "snippets")
    return tmp


# ------------------------------------------------------------------ running faqkb and tools
def tool_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The explicit environment of a tool a test starts (faqkb, mkdocs): nothing else leaks in.

    ``NO_MKDOCS_2_WARNING`` is set here once (the Makefile exports it too), so that a test run
    outside ``make`` sees the same output.
    """
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.update(HOME=str(home), LANG="C.UTF-8", NO_COLOR="1", NO_MKDOCS_2_WARNING="1")
    env.update(extra or {})
    return env


def run_python(cwd: Path, *args: str, home: Path, env: Mapping[str, str] | None = None,
               input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in ``cwd``: timeout, explicit environment (:func:`tool_env` of ``home``,
    plus ``env``), its own process group, stdin ``input`` (empty by default).

    Returns the CompletedProcess (text, stdout and stderr apart); never raises on exit status.
    """
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, input=input if input is not None else "",
        capture_output=True, text=True, timeout=timeout, env=tool_env(home, env),
        start_new_session=True, check=False,
    )


def run_faqkb(cwd: Path, *args: str, home: Path, env: Mapping[str, str] | None = None,
              input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m faqkb ARGS`` in ``cwd`` (see :func:`run_python`); ``search`` takes its fast path."""
    return run_python(cwd, *FAQKB[1:], *args, home=home, env=env, input=input, timeout=timeout)


class VerifiedKb(NamedTuple):
    """A copy of this repository's KB, verified once: ``path`` holds its ``.faqkb-cache``."""

    path: Path
    verify: subprocess.CompletedProcess[str]  # of `faqkb verify --json`


def verified_real_kb(root: Path, home: Path) -> VerifiedKb:
    """A verified copy of the real KB under ``root``, made by the first caller only.

    pytest-xdist runs session fixtures once per worker; ``root`` is the directory the workers
    share, and a lock makes the others wait for (and reuse) the first one's verification.
    Treat ``path`` as read-only: a test that writes (search index, site) works on a copy.
    """
    project, record = root / "real-kb", root / "real-kb.verify.json"
    with open(root / "real-kb.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.is_file():
            shutil.rmtree(project, ignore_errors=True)
            copy_real_kb(project)
            # Its commands wait on servers as much as they compute: twice the cores finish sooner.
            jobs = str(2 * (os.cpu_count() or 1))
            res = run_faqkb(project, "verify", "--json", "--jobs", jobs, home=home, timeout=900)
            record.write_text(json.dumps([res.returncode, res.stdout, res.stderr]))
        code, out, err = json.loads(record.read_text())
    return VerifiedKb(project, subprocess.CompletedProcess(["faqkb", "verify", "--json"], code, out, err))


def copy_tree(src: Path, dst: Path) -> Path:
    """A copy of a project directory (a verified KB with its cache, say) at ``dst``."""
    shutil.copytree(src, dst, symlinks=True)
    return dst


# ------------------------------------------------------------------ processes, from /proc
def _state(pid: int | str) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped) counts as gone."""
    return _state(pid) not in (None, "Z", "X")


def processes_matching(*texts: str) -> list[str]:
    """Command lines (arguments joined by spaces) of the live processes whose command line
    contains every one of ``texts``; tests run in parallel, so each looks for its own marks."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            args = Path(entry.path, "cmdline").read_bytes().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        line = " ".join(a.decode(errors="replace") for a in args)
        if line and all(t in line for t in texts) and alive(int(entry.name)):
            found.append(line)
    return found


def tree_state(path: Path) -> list[tuple[str, int, int]] | None:
    """(relative path, mtime_ns, size) of everything under ``path``; None when it is absent."""
    if not path.exists():
        return None
    items = [(".", path.stat().st_mtime_ns, 0)]
    for p in sorted(path.rglob("*")):
        try:
            st = p.lstat()
        except OSError:
            continue
        items.append((p.relative_to(path).as_posix(), st.st_mtime_ns, st.st_size))
    return items


def faqkb_argv(*args: str) -> list[str]:
    """``python -m faqkb ARGS`` as an argument list, for a test that must Popen it itself
    (with ``env=tool_env(...)`` and ``start_new_session=True``, like :func:`run_faqkb`)."""
    return [*FAQKB, *args]


def https_vhost(inside: str = "", *, head: str = "") -> str:
    """An entry's ``httpd:`` block serving HTTPS on the reader's port 443 with the ``server``
    fixture; ``inside`` goes into the VirtualHost, ``head`` before ``config:`` (modules, ...).
    Every line is indented as the entry's YAML wants it."""
    body = "".join(f"        {ln}\n" for ln in inside.splitlines())
    return (f"httpd:\n{head}  fixtures: [server]\n  config: |\n    Listen 443\n"
            "    <VirtualHost *:443>\n        SSLEngine on\n"
            "        SSLCertificateFile /etc/ssl/certs/fullchain.crt\n"
            "        SSLCertificateKeyFile /etc/ssl/private/server.key\n"
            f"{body}    </VirtualHost>\n")


def set_plugin_options(project: Path, **options: object) -> Path:
    """Give the faqkb plugin of ``project``'s mkdocs.yml these options (JSON is YAML)."""
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("plugins: [faqkb]", f"plugins: [{{faqkb: {json.dumps(options)}}}]"))
    return cfg


def chromium_report(chromium: str, site: Path, page: str) -> object:
    """Serve ``site`` on loopback, load ``page`` in headless Chromium and return the JSON the
    page's script wrote into ``<pre id="out">`` (the tests' in-page probes report that way)."""
    import functools
    import html
    import http.server
    import re
    import tempfile
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory(prefix="faqkb-chromium-") as profile:
            dom = subprocess.run(
                [chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--virtual-time-budget=5000", "--dump-dom",
                 f"http://127.0.0.1:{server.server_address[1]}/{page}"],
                capture_output=True, text=True, timeout=120, check=True, start_new_session=True).stdout
    finally:
        server.shutdown()
        server.server_close()
    m = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert m and m.group(1), dom[-3000:]
    return json.loads(html.unescape(m.group(1)))


# ------------------------------------------------------------------ an installed faqkb
def build_wheel_venv(tmp: Path, prepare: Callable[[Path], None] | None = None) -> Path:
    """The bin/ of a fresh venv in ``tmp`` holding faqkb installed from a wheel built from a
    copy of the checkout's files; ``prepare(src)`` runs on the copy first (as a Makefile step
    before the wheel would)."""
    src = tmp / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True,
                           timeout=60).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, src / name)
    if prepare is not None:
        prepare(src)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                          "--disable-pip-version-check", "-q", "-w", str(tmp / "dist"), str(src)],
                         capture_output=True, text=True, timeout=300, cwd=tmp, check=False,
                         env=tool_env(tmp, {"PIP_NO_INDEX": "1"}), start_new_session=True)
    assert out.returncode == 0, out.stderr
    wheel = next((tmp / "dist").glob("faqkb-*.whl"))
    target = tmp / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(target), "platbase": str(target)}))
    # The dependencies from this project's venv, after the new venv's own site-packages (so the
    # wheel's faqkb comes first; .pth files of that folder, such as an editable faqkb's, do not run).
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    out = subprocess.run([sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"),
                          "install", "--no-deps", "--no-index", "-q", "--disable-pip-version-check",
                          str(wheel)], capture_output=True, text=True, timeout=300, cwd=tmp,
                         check=False, env=tool_env(tmp), start_new_session=True)
    assert out.returncode == 0, out.stderr
    return target / "bin"
