"""The tools a knowledge base's commands use, and their versions (cache keys, "verified with").

A project declares its tools with the plugin option ``tools`` (name -> a command that prints
the version, e.g. ``git: git --version``). With none declared, the tools are openssl, curl and
httpd (:data:`DEFAULT_TOOLS`). A command *uses* a tool when the tool's name is one of its
command words, or one of a snippet script's it runs (:mod:`faqkb.run.shellwords`); apachectl,
apache2ctl, apache2 and ``scenario: httpd`` count as httpd. Only the versions of the tools an
entry uses go into its cache key, and the mark under each command names the ones it used.

Versions are probed once per process, each in its own process group, with a timeout, an
explicit environment and a scratch working directory, and only for tools some entry uses.
"""

from __future__ import annotations

import posixpath
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from faqkb._util import command_path
from faqkb.errors import EXIT_INVALID, FaqkbError
from faqkb.model import HTTPD_SCENARIO, Command, Entry
from faqkb.proc import spawn
from faqkb.run import shellwords

#: The tools of a project that declares none, and the commands that print their versions.
DEFAULT_TOOLS: dict[str, str] = {"openssl": "openssl version", "curl": "curl --version",
                                 "httpd": "apache2 -v"}
#: How the mark names a tool (any other tool: by its name, ``git 2.39.5``).
LABELS = {"openssl": "OpenSSL", "httpd": "Apache httpd"}
#: Programs that stand for the tool ``httpd``: faqkb puts wrappers of these on the PATH of
#: an entry with an httpd block, and they are the names readers type.
PROGRAM_TOOL = {"apachectl": "httpd", "apache2ctl": "httpd", "apache2": "httpd"}
PROBE_TIMEOUT = 10.0
#: The largest snippet read to see which programs it runs (scripts are small).
_MAX_SCRIPT = 256 * 1024
_SCRIPT_DEPTH = 3
_DOTTED = re.compile(r"(?<![\w.])v?(\d+(?:\.\d+)+[0-9A-Za-z.+~-]*)")
_NUMBER = re.compile(r"(?<![\w.])v?(\d+[0-9A-Za-z.+~-]*)")


class ToolError(FaqkbError):
    """A declared tool's version command failed (exit 2: the project's configuration)."""

    exit_code = EXIT_INVALID


def label(name: str) -> str:
    """How the "verified with" mark names tool ``name``."""
    return LABELS.get(name, name)


def tool_specs(declared: Mapping[str, str]) -> dict[str, str]:
    """The project's tools: those it declares, in order, or :data:`DEFAULT_TOOLS`."""
    return dict(declared) if declared else dict(DEFAULT_TOOLS)


# ------------------------------------------------------------------ which tools a command uses
def snippet_texts(entry: Entry, snippets_dir: Path | None) -> dict[str, str]:
    """The text of every snippet the entry copies into its sandbox, by name."""
    names = {s for c in entry.commands for s in c.snippets} | set(entry.httpd.snippets if entry.httpd else ())
    out: dict[str, str] = {}
    for name in sorted(names):
        path = snippets_dir / name if snippets_dir else None
        try:
            if path is not None and path.is_file():
                with path.open("rb") as f:
                    out[name] = f.read(_MAX_SCRIPT).decode("utf-8", "replace")
        except OSError:
            continue
    return out


def programs_run(text: str, scripts: Mapping[str, str], depth: int = 0) -> set[str]:
    """Every program ``text`` runs, and those of the snippet scripts it runs, as tool names."""
    scan = shellwords.scan(text)
    found = {PROGRAM_TOOL.get(c, c) for c in scan.commands}
    if depth < _SCRIPT_DEPTH:
        for raw in dict.fromkeys(scan.scripts):
            name = posixpath.normpath(raw)
            if name in scripts:
                found |= programs_run(scripts[name], scripts, depth + 1)
    return found


def command_tools(cmd: Command, names: Iterable[str], scripts: Mapping[str, str]) -> list[str]:
    """The tools among ``names`` that ``cmd`` uses, in the order of ``names``."""
    from faqkb import placeholders  # the text as run: {{ live: }} parts in, {{ show: }} out

    programs = programs_run(placeholders.for_run(cmd.run, placeholders.reader_values(cmd.run)), scripts)
    # A tool whose version picks the command's expectations (expect.when) counts as used: its
    # version goes into the cache key and the mark, like a tool the command runs.
    return [n for n in names if n in programs or n in cmd.expect.tools
            or (n == "httpd" and cmd.scenario == HTTPD_SCENARIO)]


def entry_tools(entry: Entry, names: Iterable[str], snippets_dir: Path | None) -> list[list[str]]:
    """For each command of ``entry``, the tools among ``names`` it uses."""
    scripts = snippet_texts(entry, snippets_dir)
    ordered = list(names)
    return [command_tools(c, ordered, scripts) for c in entry.commands]


# ------------------------------------------------------------------ versions
def parse_version(output: str) -> str:
    """The version in a version command's first line: ``2.39.5`` for ``git version 2.39.5``,
    ``3.0.19`` for ``OpenSSL 3.0.19 27 Jan 2026``; empty when it holds no number."""
    line = output.strip().split("\n")[0] if output.strip() else ""
    m = _DOTTED.search(line) or _NUMBER.search(line)
    return m.group(1) if m else ""


def _program(command: str) -> str | None:
    """The program a version command starts (``git`` for ``git --version``), if plain."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    words = [w for w in words if not shellwords._ASSIGNMENT.match(w)]  # FOO=1 git --version
    return words[0] if words else None


def probe(name: str, command: str) -> str:
    """Run ``command`` (a declared tool's version command) and read the version it prints.

    Empty when its program is not installed here (commands that require it are then not run);
    :class:`ToolError` when it fails otherwise, says nothing readable, or hangs.
    """
    program = _program(command)
    path = command_path()  # the PATH commands get: the version probed is the one they run
    if program and "/" not in program and shutil.which(program, path=path) is None:
        return ""
    with tempfile.TemporaryDirectory(prefix="faqkb-probe-") as scratch:
        env = {"PATH": path, "HOME": scratch, "TMPDIR": scratch, "LANG": "C.UTF-8",
               "LC_ALL": "C.UTF-8", "TERM": "dumb"}
        try:
            out = spawn.run(["/bin/bash", "--noprofile", "--norc", "-c", command], text=True,
                            timeout=PROBE_TIMEOUT, env=env, cwd=scratch, start_new_session=True,
                            errors="replace")
        except subprocess.TimeoutExpired:
            raise ToolError(f"tools.{name}: `{command}` did not finish in {PROBE_TIMEOUT:g} s; "
                            "give a command that prints the version and exits") from None
        except OSError as exc:
            raise ToolError(f"tools.{name}: cannot run `{command}`: {exc.strerror or exc}") from None
    said = (out.stdout or "").strip() or (out.stderr or "").strip()
    if out.returncode != 0:
        first = said.split("\n")[0][:200] if said else "no output"
        raise ToolError(f"tools.{name}: `{command}` failed (exit {out.returncode}: {first}); "
                        "give a command that prints the version, or remove the tool")
    version = parse_version(said)
    if not version:
        first = said.split("\n")[0][:200] if said else "nothing"
        raise ToolError(f"tools.{name}: `{command}` printed no version number ({first!r}); "
                        "give a command whose first line holds the version")
    return version


def _default_httpd() -> str:
    """The default httpd's version; empty when no usable apache2 is installed here."""
    from faqkb.httpd.process import httpd_available, httpd_version  # only when httpd is used

    return httpd_version() if httpd_available() is None else ""


def _default(name: str) -> str:
    if name == "httpd":
        return _default_httpd()
    try:
        return probe(name, DEFAULT_TOOLS[name])
    except ToolError:
        return ""  # an undeclared default that does not run is treated as not installed


# Probed once per process: (tool, its declared command or "" for a default) -> version or error.
_LOCK = threading.Lock()
_KNOWN: dict[tuple[str, str, str], str | ToolError] = {}
_BUSY: dict[tuple[str, str, str], threading.Lock] = {}


class Versions:
    """The versions of one project's tools, each probed once per process, on first need.

    ``where(name)`` gives the place a declared tool is configured (``mkdocs.yml:12:7``), so a
    failing version command is reported there (asked only then).
    """


    def __init__(self, declared: Mapping[str, str], where: Callable[[str], str] | None = None) -> None:
        self.declared = dict(declared)
        self.specs = tool_specs(declared)
        self.where = where

    def version(self, name: str) -> str:
        """The version of tool ``name`` (empty: not installed here); ToolError if it fails."""
        command = self.specs[name]
        key = (name, command if self.declared else "", command_path())
        with _LOCK:
            busy = _BUSY.setdefault(key, threading.Lock())
        with busy:  # concurrent first callers wait for one probe rather than start two
            if key not in _KNOWN:
                try:
                    _KNOWN[key] = probe(name, command) if self.declared else _default(name)
                except ToolError as exc:
                    _KNOWN[key] = exc
            found = _KNOWN[key]
        if isinstance(found, ToolError):
            raise ToolError(f"{self.where(name)}: {found}" if self.where else str(found))
        return found

    def versions(self, names: Iterable[str]) -> dict[str, str]:
        """``{name: version}`` for ``names``, probed side by side (each is a subprocess)."""
        wanted = list(dict.fromkeys(names))
        threads = [threading.Thread(target=self._quietly, args=(n,), daemon=True,
                                    name=f"faqkb-probe-{n}") for n in wanted[1:]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {n: self.version(n) for n in wanted}  # re-raises the first failure, in order

    def _quietly(self, name: str) -> None:
        try:
            self.version(name)
        except ToolError:
            pass  # remembered; versions() raises it in the caller's thread
