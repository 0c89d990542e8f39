"""A private Apache httpd 2.4 per entry: the config a reader writes, really loaded and served.

An entry's ``httpd:`` block (:class:`faqkb.model.Httpd`) gives the directives a reader puts in
httpd.conf, with the paths and ports a reader uses. :class:`HttpdConfig` writes a private base
config into the sandbox and puts the entry's text in its own file ``conf/entry.conf`` (so httpd's
"Syntax error on line N of .../entry.conf" is the reader's line N);
:class:`faqkb.httpd.process.HttpdProcess` then starts Debian's ``/usr/sbin/apache2`` in the
foreground in its own process group.

This module is the configuration half: the reader-path table, the port and path rewriting, the
base config, the ``files`` and the wrapper scripts. Starting, watching and stopping httpd is
:mod:`faqkb.httpd.process`.

Sandbox layout (``S`` = the sandbox; the runner puts fixtures and snippets in ``S``)::

    S/conf/httpd.conf   base config (ServerRoot S, PidFile, Mutex, ErrorLog, modules, ...)
    S/conf/entry.conf   the entry's config, ports and paths rewritten, lines kept 1:1
    S/logs/error_log    the main error log (httpd's default LogLevel warn, unless the entry sets one)
    S/run/              pid file, mutexes, shmcb session cache, mod_cgid socket
    S/htdocs/           DocumentRoot, with an index.html ("It works!")
    S/cgi-bin/          for CGI scripts (written from ``files``; made executable)
    S/bin/apachectl     wrapper (also apache2ctl, httpd, apache2): the reader's commands work as is
    S/modules           symlink to /usr/lib/apache2/modules (``LoadModule x modules/mod_x.so``)

Reader paths rewritten in the entry's config, at path boundaries (longest prefix first; the
entry's ``paths`` win). Key, certificate and config dirs all map to ``S`` itself, where the
fixtures, snippets and ``files`` are::

    /etc/ssl/certs  /etc/ssl/private  /etc/pki/tls/certs  /etc/pki/tls/private   -> S
    /etc/apache2  /etc/httpd  /etc/httpd/conf  /usr/local/apache{,2}/conf         -> S
      ... and their ssl.crt ssl.key ssl.crl ssl.csr ssl.prm ssl subdirs          -> S
    /usr/local/bin  (SSLPassPhraseDialog exec:/usr/local/bin/passphrase.sh)       -> S
    /var/www/html  /usr/local/apache{,2}/htdocs                                   -> S/htdocs
    /usr/lib/cgi-bin  /var/www/cgi-bin  /usr/local/apache{,2}/cgi-bin             -> S/cgi-bin
    /var/log/apache2  /var/log/httpd  /usr/local/apache{,2}/logs                  -> S/logs
    /var/run/apache2  /run/apache2  /var/run/httpd  /run/httpd  /var/lock/apache2 -> S/run
    /var/cache/apache2  /var/cache/httpd                                          -> S/cache
    /usr/local/apache{,2}/modules  /etc/httpd/modules                             -> S/modules

A ``files`` name is sandbox-relative, or a reader path mapped by the same table
(``/usr/lib/cgi-bin/env.cgi`` -> ``S/cgi-bin/env.cgi``); files under a cgi-bin dir or starting
with ``#!`` are made executable. So ``SSLCertificateFile /etc/ssl/certs/server.crt`` loads
``S/server.crt``. Debian's envvars (``${APACHE_LOG_DIR}``, ``${APACHE_RUN_DIR}``,
``${APACHE_LOCK_DIR}``, ``${APACHE_PID_FILE}``, ``${APACHE_RUN_USER}``,
``${APACHE_RUN_GROUP}``) are defined too. The base config sets no ``LogLevel``, so httpd logs at
its default ``warn``, as a reader's does: what an entry's commands find in the error log is what
httpd logs by default, unless the entry's own config sets ``LogLevel info`` (or ``ssl:debug``)
as its answer tells readers to.

Ports: ``Listen 443`` (also ``Listen 0.0.0.0:443``, ``Listen [::]:443 https``) becomes
``Listen 127.0.0.1:<https port> https``; ``Listen 80`` the plain HTTP port; any other listened
port a free port of its own (placeholder ``port_<N>``). ``<VirtualHost *:443>``,
``<VirtualHost _default_:443>``, ``NameVirtualHost``, ``ServerName host:443`` and
``https://localhost/`` URLs follow; a specific address in ``<VirtualHost>`` becomes 127.0.0.1.
A config without any ``Listen`` gets ``Listen 127.0.0.1:<https port> https`` from the base.

httpd runs as root and drops its workers to ``User nobody``/``Group nogroup`` (httpd refuses to
serve as root unless rebuilt with BIG_SECURITY_HOLE), so the sandbox is made 0755 and everything
written here is world-readable; the sandbox's parent directories must be searchable by others
(``tempfile.mkdtemp()`` under /tmp is). Pass phrases: with ``passphrase`` set, the builtin
dialog reads it from httpd's stdin (a pipe; OpenSSL falls back to stdin without a terminal), so
both ``SSLPassPhraseDialog builtin`` and ``exec:`` helpers from ``files`` work.
"""

from __future__ import annotations

import os
import posixpath
import random
import re
import shlex
import socket
import threading
from pathlib import Path

from faqkb._util import SYSTEM_PATH, command_path
from faqkb.model import Httpd

#: The httpd binary; FAQKB_APACHE2 points elsewhere (another layout, or none to test without).
APACHE2 = Path(os.environ.get("FAQKB_APACHE2", "/usr/sbin/apache2"))
MODULES_DIR = Path("/usr/lib/apache2/modules")
#: Modules compiled into Debian's apache2: LoadModule would be an error.
BUILTIN_MODULES = frozenset({"core", "so", "watchdog", "http", "log_config", "logio", "version",
                             "unixd"})
#: What every entry gets; an entry's ``modules`` come after (an ``mpm_*`` one replaces ours).
BASE_MODULES = ("mpm_event", "authn_core", "authz_core", "authz_host", "alias", "dir", "env",
                "mime", "setenvif", "headers", "socache_shmcb", "ssl")
#: PATH for httpd and the wrappers: the system's directories only.


class HttpdError(Exception):
    """httpd refused the config or did not start; the message is httpd's own output, trimmed.

    ``entry_line`` is the line of the entry's config httpd complained about, when it said so.
    """

    def __init__(self, message: str, entry_line: int | None = None) -> None:
        super().__init__(message)
        self.entry_line = entry_line


def _apache_prefixes() -> list[tuple[str, str]]:
    """The reader-path table of the module docstring, as (prefix, sandbox-relative dir)."""
    table = [("/etc/ssl/certs", ""), ("/etc/ssl/private", ""), ("/etc/pki/tls/certs", ""),
             ("/etc/pki/tls/private", ""), ("/usr/local/bin", ""),
             ("/var/www/html", "htdocs"), ("/usr/lib/cgi-bin", "cgi-bin"),
             ("/var/www/cgi-bin", "cgi-bin"), ("/var/log/apache2", "logs"),
             ("/var/log/httpd", "logs"), ("/var/run/apache2", "run"), ("/run/apache2", "run"),
             ("/var/run/httpd", "run"), ("/run/httpd", "run"), ("/var/lock/apache2", "run"),
             ("/var/cache/apache2", "cache"), ("/var/cache/httpd", "cache"),
             ("/etc/httpd/modules", "modules")]
    for top in ("/usr/local/apache", "/usr/local/apache2"):
        table += [(f"{top}/htdocs", "htdocs"), (f"{top}/cgi-bin", "cgi-bin"),
                  (f"{top}/logs", "logs"), (f"{top}/modules", "modules")]
    # Key and certificate dirs hold the fixtures, which live in the sandbox root.
    for conf in ("/etc/apache2", "/etc/httpd", "/etc/httpd/conf", "/usr/local/apache/conf",
                 "/usr/local/apache2/conf"):
        table.append((conf, ""))
        table += [(f"{conf}/{sub}", "") for sub in
                  ("ssl.crt", "ssl.key", "ssl.crl", "ssl.csr", "ssl.prm", "ssl")]
    return table


READER_PATHS: tuple[tuple[str, str], ...] = tuple(_apache_prefixes())
#: Sandbox entries that are links out of it (to the system's modules): nothing is written there.
_LINKS_OUT = ("modules",)


def safe_relative(rel: str, what: str) -> str:
    """``rel`` as a normalised sandbox-relative path; HttpdError if it would leave the sandbox
    (``..``, or through the ``modules`` link into the system's own module directory)."""
    norm = posixpath.normpath(rel.strip().lstrip("/")) if rel.strip().lstrip("/") else ""
    if norm in ("", "."):
        return ""
    parts = norm.split("/")
    if parts[0] == ".." or any(len(p) > 255 for p in parts):
        raise HttpdError(f"{what}: {rel[:80]!r} leaves the sandbox; name a place inside it")
    if parts[0] in _LINKS_OUT:
        raise HttpdError(f"{what}: {rel[:80]!r} is inside {parts[0]}/, which is the system's "
                         "own module directory; write the file somewhere else")
    return norm


def path_table(entry_paths: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """Reader path prefixes and the sandbox directories they stand for, longest first (an
    entry's own ``paths`` win over the built-in ones)."""
    entry = [(p.rstrip("/"), safe_relative(rel, "httpd.paths")) for p, rel in entry_paths]
    return sorted(entry + list(READER_PATHS), key=lambda t: -len(t[0]))


def files_target(name: str, entry_paths: tuple[tuple[str, str], ...] = ()) -> str:
    """Where an ``httpd.files`` name lands, relative to the sandbox; HttpdError if that is
    outside it. Reader paths are normalised first, so ``/etc/ssl/certs/../x`` is ``/etc/ssl/x``."""
    if not name.startswith("/"):
        return safe_relative(name, "httpd.files")
    norm = posixpath.normpath(name)
    for prefix, rel in path_table(entry_paths):
        if norm == prefix or norm.startswith(prefix + "/"):
            return safe_relative(posixpath.join(rel, norm[len(prefix):].lstrip("/")), "httpd.files")
    raise HttpdError(f"httpd.files: {name[:80]!r} is under no known reader path; "
                     "use a sandbox-relative name or add it to httpd.paths")


# httpd binds its ports seconds after they are chosen. A port from the kernel's ephemeral
# range could meanwhile be handed to a reference-server listener or a client socket (bind to
# port 0 draws from that range), so private httpds take theirs from below it, each at most once
# per run, checked free when chosen.
_PORT_RANGE = (20000, 32000)
_handed_out: set[int] = set()
_port_lock = threading.Lock()


def _free_port() -> int:
    """A port on 127.0.0.1 that is free now, outside the ephemeral range, not yet handed out."""
    rng = random.Random()
    with _port_lock:
        for _ in range(1000):
            port = rng.randrange(*_PORT_RANGE)
            if port in _handed_out:
                continue
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    continue
            _handed_out.add(port)
            return port
    raise HttpdError(f"no free port between {_PORT_RANGE[0]} and {_PORT_RANGE[1]} on 127.0.0.1")


_LISTEN = re.compile(r"^(\s*Listen\s+)(?:(\[[^\]]*\]|[^\s:\[]+):)?(\d+)(?:[ \t]+(\S+))?",
                     re.IGNORECASE)
_VHOST = re.compile(r"^(\s*(?:<VirtualHost|NameVirtualHost)\s+)([^>\n]+?)(\s*>?\s*)$",
                    re.IGNORECASE)
_SERVERNAME = re.compile(r"^(\s*ServerName\s+(?:[a-z]+://)?[^\s:/]+):(\d+)", re.IGNORECASE)
_LOCAL_URL = re.compile(r"\b(https?)://localhost(?::(443|80))?(?=[/\s\"']|$)")
_ERRORLOG = re.compile(r"^\s*ErrorLog\s+\"?([^\"\s|][^\"\s]*)", re.IGNORECASE | re.MULTILINE)


def listened_ports(config: str) -> set[int]:
    """The ports the ``Listen`` lines of a config (as a reader wrote it) name."""
    return {int(m.group(3)) for line in config.split("\n") if (m := _LISTEN.match(line))}


class HttpdConfig:
    """The private httpd config of one entry's sandbox; see the module docstring.

    :meth:`prepare` writes it; :class:`faqkb.httpd.process.HttpdProcess` runs httpd on it.
    """

    def __init__(self, spec: Httpd, sandbox: Path) -> None:
        self.spec = spec
        self.sandbox = Path(sandbox).resolve()
        self.conf = self.sandbox / "conf" / "httpd.conf"
        self.entry_conf = self.sandbox / "conf" / "entry.conf"
        self.error_log = self.sandbox / "logs" / "error_log"
        self.pid_file = self.sandbox / "run" / "httpd.pid"
        self.ports: dict[int, int] = {}
        self.https_port = 0
        self.http_port: int | None = None
        self.listened: set[int] = set()  # live ports httpd will listen on
        #: Every error log the config writes (the main one first).
        self.logs: list[Path] = [self.error_log]
        self.prepared = False

    def prepare(self) -> tuple[dict[str, str], dict[str, str]]:
        """Write the configs, ``files`` and wrappers; return (placeholder values, command env)."""
        sb = self.sandbox
        self._check_searchable()
        for d in ("", "conf", "logs", "run", "htdocs", "cgi-bin", "cache", "bin"):
            (sb / d).mkdir(exist_ok=True)
            (sb / d).chmod(0o755)
        if not (sb / "modules").exists():
            (sb / "modules").symlink_to(MODULES_DIR)
        index = sb / "htdocs" / "index.html"
        if not index.exists():
            index.write_text("<html><body><h1>It works!</h1></body></html>\n")
            index.chmod(0o644)
        entry_text = self.rewrite(self.spec.config)
        has_listen = bool(self.listened)
        if not has_listen:
            self.https_port = self.ports.setdefault(443, _free_port())
            self.listened.add(self.https_port)
        self._write(self.entry_conf, entry_text)
        self._write(self.conf, self._base_config(listen=not has_listen))
        for name, content in self.spec.files:
            self._write_file(name, content)
        for alias, ctl in (("apachectl", True), ("apache2ctl", True), ("httpd", False),
                           ("apache2", False)):
            self._write(sb / "bin" / alias, self._wrapper(ctl), mode=0o755)
        self.logs = [self.error_log]
        for m in _ERRORLOG.finditer(entry_text):
            path = Path(m.group(1)) if m.group(1).startswith("/") else sb / m.group(1)
            if not m.group(1).startswith("syslog") and path not in self.logs:
                self.logs.append(path)
        self.prepared = True
        values: dict[str, str] = {}
        if 443 in self.ports:
            p = self.ports[443]
            values |= {"server": f"localhost:{p}", "host": "localhost", "port": str(p),
                       "url": f"https://localhost:{p}/"}
        if self.http_port:
            p = self.http_port
            values |= {"http_server": f"localhost:{p}", "http_port": str(p),
                       "http_url": f"http://localhost:{p}/"}
            values.setdefault("host", "localhost")
        values |= {f"port_{r}": str(p) for r, p in self.ports.items() if r not in (80, 443)}
        # The wrappers first, then FAQKB_TOOLS_PATH's and the system's programs, as for any
        # command (make matrix's OpenSSL too); never the caller's own PATH.
        env = {"PATH": f"{sb / 'bin'}:{command_path()}", **self.apache_env()}
        return values, env

    def rewrite(self, text: str) -> str:
        """The entry's config with the reader's ports and paths made live; lines stay 1:1."""
        listened = self.listened = set()
        out = []
        for line in self._rewrite_paths(text).split("\n"):
            m = _LISTEN.match(line)
            if m:
                reader_port = int(m.group(3))
                port = self._port(reader_port)
                if port in listened:  # 0.0.0.0:443 and [::]:443 both become 127.0.0.1:port
                    out.append(f"# faqkb: already listening on 127.0.0.1:{port}: {line.strip()}")
                    continue
                listened.add(port)
                proto = m.group(4) or ("https" if reader_port == 443 else "")
                line = f"{m.group(1)}127.0.0.1:{port}{' ' + proto if proto else ''}" + \
                    line[m.end():]
            elif m := _VHOST.match(line):
                addrs = " ".join(self._vhost_addr(a) for a in m.group(2).split())
                line = f"{m.group(1)}{addrs}{m.group(3)}"
            elif m := _SERVERNAME.match(line):
                line = f"{m.group(1)}:{self._port(int(m.group(2)))}{line[m.end():]}"
            line = _LOCAL_URL.sub(self._url, line)
            out.append(line)
        return "\n".join(out)

    def _port(self, reader: int) -> int:
        if reader not in self.ports:
            self.ports[reader] = _free_port()
        if reader == 443:
            self.https_port = self.ports[reader]
        elif reader == 80:
            self.http_port = self.ports[reader]
        return self.ports[reader]

    def _vhost_addr(self, token: str) -> str:
        host, sep, port = token.rpartition(":")
        if not sep or not port.isdigit() or (":" in host and not host.startswith("[")):
            return token  # "*", "_default_", a bare address: no port to rewrite
        if host not in ("*", "_default_"):
            host = "127.0.0.1"
        return f"{host}:{self._port(int(port))}"

    def _url(self, m: re.Match[str]) -> str:
        reader = int(m.group(2) or (443 if m.group(1) == "https" else 80))
        return f"{m.group(1)}://localhost:{self._port(reader)}"

    def _path_table(self) -> list[tuple[str, str]]:
        return path_table(self.spec.paths)

    def _rewrite_paths(self, text: str) -> str:
        table = dict(reversed(self._path_table()))  # longest (and entry) prefix wins
        alt = "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True))
        rx = re.compile(rf"(?<![\w.\-/~}}])({alt})(?=[/\s\"'>()]|$)", re.MULTILINE)
        return rx.sub(lambda m: str(self.sandbox / table[m.group(1)]).rstrip("/"), text)

    def reader_files(self) -> list[tuple[str, str]]:
        """(sandbox-relative path, reader path) of every file the entry's config names under a
        mapped reader path (``server.key`` for ``/etc/ssl/private/server.key``), so httpd's
        messages about it name it as the reader wrote it. Directories are left to the table."""
        table = dict(reversed(self._path_table()))
        alt = "|".join(re.escape(p) for p in sorted(table, key=len, reverse=True))
        rx = re.compile(rf"(?<![\w.\-/~}}])({alt})(/[^\s\"'>()]*[^\s\"'>()/])", re.MULTILINE)
        pairs: dict[str, str] = {}
        for m in rx.finditer(self.spec.config):
            rel = posixpath.join(table[m.group(1)], m.group(2).lstrip("/"))
            pairs.setdefault(rel, m.group(1) + m.group(2))
        return list(pairs.items())

    def _sandbox_path(self, name: str) -> Path:
        """Where a ``files`` name lands: relative to the sandbox, or a reader path mapped."""
        path = self.sandbox / files_target(name, self.spec.paths)
        # A directory a fixture or an earlier file made into a link must not lead out either.
        if not path.parent.resolve().is_relative_to(self.sandbox):
            raise HttpdError(f"httpd.files: {name[:80]!r} leads out of the sandbox through a link")
        return path

    def _write_file(self, name: str, content: str) -> None:
        path = self._sandbox_path(name)
        for parent in reversed(path.relative_to(self.sandbox).parents):
            (self.sandbox / parent).mkdir(exist_ok=True)
            (self.sandbox / parent).chmod(0o755)
        executable = content.startswith("#!") or "cgi-bin" in path.relative_to(self.sandbox).parts
        self._write(path, content, mode=0o755 if executable else 0o644)

    @staticmethod
    def _write(path: Path, text: str, mode: int = 0o644) -> None:
        path.write_text(text if text.endswith("\n") else text + "\n")
        path.chmod(mode)

    def _check_searchable(self) -> None:
        # Workers run as nobody: every directory above the sandbox must let others through.
        for parent in self.sandbox.parents:
            if not os.stat(parent).st_mode & 0o001:
                raise HttpdError(f"{parent} is not searchable by others, so httpd's workers "
                                 f"(User nobody) cannot reach {self.sandbox}; make sandboxes "
                                 "under a world-searchable directory such as /tmp")

    def _module_lines(self) -> list[str]:
        wanted = [m.removeprefix("mod_").removesuffix("_module") for m in self.spec.modules]
        base = [m for m in BASE_MODULES
                if not (m.startswith("mpm_") and any(w.startswith("mpm_") for w in wanted))]
        lines = []
        for name in dict.fromkeys(base + wanted):
            if name in BUILTIN_MODULES:
                continue
            so = MODULES_DIR / f"mod_{name}.so"
            if not so.is_file():
                raise HttpdError(f"httpd.modules: no module {name!r} ({so} does not exist)")
            lines.append(f"LoadModule {name}_module {so}")
        return lines

    def _base_config(self, *, listen: bool) -> str:
        sb = self.sandbox
        lines = [
            "# faqkb: private httpd for one sandbox; the entry's config is Included at the end.",
            f'ServerRoot "{sb}"',
            f'DefaultRuntimeDir "{sb}/run"',
            f'PidFile "{self.pid_file}"',
            f"Mutex file:{sb}/run default",
            f'ErrorLog "{self.error_log}"',
            *self._module_lines(),
            "User nobody",
            "Group nogroup",
            "ServerName localhost",
            "TypesConfig /etc/mime.types",
            f'DocumentRoot "{sb}/htdocs"',
            "DirectoryIndex index.html",
            "<Directory />\n    AllowOverride None\n    Require all denied\n</Directory>",
            f'<Directory "{sb}/htdocs">\n    Require all granted\n</Directory>',
            f'<Directory "{sb}/cgi-bin">\n    AllowOverride None\n    Options None\n'
            "    Require all granted\n</Directory>",
            'LogFormat "%h %l %u %t \\"%r\\" %>s %b" common',
            f'CustomLog "{sb}/logs/access_log" common',
            f"SSLSessionCache shmcb:{sb}/run/ssl_scache(512000)",
            f'<IfModule cgid_module>\n    ScriptSock "{sb}/run/cgisock"\n</IfModule>',
            # Small pools: two cores are shared by many parallel entries.
            "<IfModule mpm_event_module>\n    StartServers 1\n    ServerLimit 2\n"
            "    ThreadsPerChild 10\n    MaxRequestWorkers 20\n    MinSpareThreads 5\n"
            "    MaxSpareThreads 20\n</IfModule>",
            "<IfModule mpm_prefork_module>\n    StartServers 2\n    MinSpareServers 1\n"
            "    MaxSpareServers 4\n</IfModule>",
        ]
        if listen:
            lines.append(f"Listen 127.0.0.1:{self.https_port} https")
        lines.append(f'Include "{self.entry_conf}"')
        return "\n".join(lines)

    def apache_env(self) -> dict[str, str]:
        """The variables Debian's httpd and apachectl read, pointing into the sandbox."""
        sb = self.sandbox
        return {"APACHE_RUN_DIR": f"{sb}/run", "APACHE_LOCK_DIR": f"{sb}/run",
                "APACHE_PID_FILE": str(self.pid_file), "APACHE_LOG_DIR": f"{sb}/logs",
                "APACHE_RUN_USER": "nobody", "APACHE_RUN_GROUP": "nogroup"}

    def _wrapper(self, ctl: bool) -> str:
        env = "\n".join(f"export {k}={shlex.quote(v)}" for k, v in self.apache_env().items())
        ctl_map = ('case "$1" in\n'
                   '  configtest) shift; set -- -t "$@" ;;\n'
                   '  start|stop|restart|graceful|graceful-stop) a=$1; shift; set -- -k "$a" "$@" ;;\n'
                   "esac\n") if ctl else ""
        return (f"#!/bin/bash\n# faqkb: {'apachectl' if ctl else 'httpd'} for the private httpd "
                f"of this sandbox\n{env}\nexport PATH={shlex.quote(SYSTEM_PATH)}\n{ctl_map}"
                "args=()\n"
                "while [ $# -gt 0 ]; do\n"
                "  case \"$1\" in\n"
                "    -f|-d) shift; [ $# -gt 0 ] && shift ;;  # the reader's paths: ours win\n"
                "    -f?*|-d?*) shift ;;\n"
                "    *) args+=(\"$1\"); shift ;;\n"
                "  esac\n"
                "done\n"
                f"exec {APACHE2} -d {shlex.quote(str(self.sandbox))} "
                f"-f {shlex.quote(str(self.conf))} \"${{args[@]}}\"\n")

    def loaded_config(self) -> str:
        """The config text httpd loads: the base file, then the entry's file, substituted."""
        parts = []
        for path in (self.conf, self.entry_conf):
            text = path.read_text() if path.exists() else ""
            parts.append(f"# ===== {path} =====\n{text}")
        return "\n".join(parts)
