"""Where a knowledge base's parts live, read from ``mkdocs.yml`` without importing MkDocs."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from faqkb.errors import FaqkbError

#: The names MkDocs looks for, in its order: ``mkdocs.yml`` wins when both exist.
CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
#: The plugin's name in ``plugins:`` (the entry point in pyproject.toml).
PLUGIN_NAME = "faqkb"
#: Where a knowledge base's own page templates are when ``templates_dir`` is not set.
DEFAULT_TEMPLATES_DIR = "faqkb_templates"
#: Where a reader runs an entry's commands, as the page shows it (plugin option ``reader_dir``),
#: and the reader's home directory (``reader_home``): see :mod:`faqkb.run.display`.
READER_DIR = "/home/user/demo"
READER_HOME = "/home/user"
_TOOL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]*")


class _LenientLoader(yaml.SafeLoader):
    """Reads mkdocs.yml, whose ``!!python/name`` and ``!ENV`` tags we do not need to resolve."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_LenientLoader.add_multi_constructor("", _ignore_tag)


@dataclass(frozen=True)
class Project:
    """Paths of one faqkb project (all absolute)."""

    root: Path
    docs_dir: Path
    faq_dir: Path
    snippets_dir: Path
    cache_dir: Path
    site_dir: Path
    config_file: Path | None = None
    #: Path (in the site) of a page that forwards the old FAQ's anchors; None for none.
    legacy_page: str | None = None
    directory_urls: bool = True
    #: The knowledge base's own ``*.j2`` templates, which replace faqkb's of the same name;
    #: None for none. Set explicitly, it is kept even when missing (the render reports it).
    templates_dir: Path | None = None
    #: Declared tools, name -> the command that prints its version (empty: the defaults).
    tools: dict[str, str] = field(default_factory=dict)
    reader_dir: str = READER_DIR
    reader_home: str = READER_HOME
    #: Entry ids the landing block lists as the most asked (empty: each section's first).
    most_asked: tuple[str, ...] = ()

    def where(self, *keys: str) -> str:
        """``mkdocs.yml:LINE:COL`` of a faqkb plugin option (``where("tools", "git")``), for
        messages about it; the file alone when it cannot be placed."""
        if self.config_file is None:
            return "the faqkb plugin options"
        line, col = option_position(self.config_file, keys)
        return f"{self.config_file}:{line}:{col}"

    @property
    def faq_prefix(self) -> str:
        """The FAQ dir relative to the docs dir, as a URL-style prefix (``faq``)."""
        try:
            return self.faq_dir.relative_to(self.docs_dir).as_posix()
        except ValueError:
            return "faq"

    @classmethod
    def from_settings(cls, root: Path, config_file: Path | None, settings: dict[str, Any]) -> Project:
        """Resolve the plugin settings (``faq_dir`` relative to docs, others to root)."""
        docs = (root / settings.get("docs_dir", "docs")).resolve()
        templates: Path | None = (root / DEFAULT_TEMPLATES_DIR).resolve()
        if settings.get("templates_dir"):
            templates = (root / settings["templates_dir"]).resolve()
        elif templates is not None and not templates.is_dir():
            templates = None  # the default folder only counts when a team made it
        def where(*keys: str) -> str:
            if config_file is None:
                return "the faqkb plugin options"
            line, col = option_position(config_file, keys)
            return f"{config_file}:{line}:{col}"

        return cls(
            root=root,
            docs_dir=docs,
            faq_dir=(docs / settings.get("faq_dir", "faq")).resolve(),
            snippets_dir=(root / settings.get("snippets_dir", "snippets")).resolve(),
            cache_dir=(root / settings.get("cache_dir", ".faqkb-cache")).resolve(),
            site_dir=(root / settings.get("site_dir", "site")).resolve(),
            config_file=config_file,
            legacy_page=settings.get("legacy_page") or None,
            directory_urls=bool(settings.get("use_directory_urls", True)),
            templates_dir=templates,
            tools=_tools(settings.get("tools"), where),
            reader_dir=_reader_path(settings.get("reader_dir", READER_DIR), "reader_dir", where),
            reader_home=_reader_path(settings.get("reader_home", READER_HOME), "reader_home", where),
            most_asked=_ids(settings.get("most_asked"), "most_asked", where),
        )

    @classmethod
    def discover(cls, start: Path | None = None, faq_dir: Path | None = None) -> Project:
        """Find ``mkdocs.yml`` (or ``mkdocs.yaml``) at or above ``start`` (or above ``faq_dir``)
        and read its paths."""
        here = (faq_dir or start or Path.cwd()).resolve()
        for d in [here, *here.parents]:
            cfg = config_in(d)
            if cfg is not None:
                project = cls.from_settings(d, cfg, read_settings(cfg))
                break
        else:
            base = (start or Path.cwd()).resolve()
            project = cls.from_settings(base, None, {})
        if faq_dir is not None:
            project = cls(**{**project.__dict__, "faq_dir": faq_dir.resolve()})
        return project


def config_in(folder: Path) -> Path | None:
    """The MkDocs config file in ``folder`` (see :data:`CONFIG_NAMES`), or None."""
    for name in CONFIG_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def read_config(config_file: Path) -> dict[str, Any]:
    """An mkdocs.yml as plain data (its ``!ENV`` and ``!!python`` tags read as None)."""
    try:
        data = yaml.load(config_file.read_text("utf-8"), Loader=_LenientLoader) or {}
    except yaml.YAMLError as exc:
        raise FaqkbError(f"{config_file}: cannot read it as YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FaqkbError(f"{config_file}:1:1: expected a mapping of settings")
    return data


def _plugins(data: dict[str, Any]) -> dict[str, Any]:
    """``plugins:`` as name -> options, from either of the forms MkDocs accepts (a list of
    names and one-key mappings, or one mapping)."""
    listed = data.get("plugins") or []
    if isinstance(listed, dict):
        return dict(listed)
    out: dict[str, Any] = {}
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, str):
            out[item] = None
        elif isinstance(item, dict):
            out.update(item)
    return out


def plugin_listed(config_file: Path) -> bool:
    """Whether ``plugins:`` of this mkdocs.yml names the faqkb plugin."""
    return PLUGIN_NAME in _plugins(read_config(config_file))


def read_settings(config_file: Path) -> dict[str, Any]:
    """``docs_dir``/``site_dir`` and the ``faqkb`` plugin options from an mkdocs.yml."""
    data = read_config(config_file)
    out: dict[str, Any] = {
        k: data[k] for k in ("docs_dir", "site_dir", "use_directory_urls") if k in data
    }
    options = _plugins(data).get(PLUGIN_NAME)
    if isinstance(options, dict):
        out.update(options)
    return out


def _ids(value: Any, option: str, where: Callable[..., str]) -> tuple[str, ...]:
    """An option holding a list of entry ids, checked for its shape (the ids themselves are
    checked against the entries when they are loaded)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise FaqkbError(f"{where(option)}: {option} must be a list of entry ids, "
                         f"e.g. {option}: [cipher-shared, remove-passphrase]")
    return tuple(value)


def _tools(value: Any, where: Callable[..., str]) -> dict[str, str]:
    """The ``tools`` option checked: a mapping of tool names to version commands."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise FaqkbError(f"{where('tools')}: tools must be a mapping of tool names to the command "
                         "that prints the version, e.g. tools: {git: git --version}")
    out: dict[str, str] = {}
    for name, command in value.items():
        if not isinstance(name, str) or not _TOOL_NAME.fullmatch(name):
            raise FaqkbError(f"{where('tools', str(name))}: tool name {name!r} must be a program "
                             "name (letters, digits, '.', '_', '+', '-'), e.g. git or python3")
        if not isinstance(command, str) or not command.strip():
            raise FaqkbError(f"{where('tools', name)}: tools.{name} must be the command that prints "
                             f"its version, e.g. {name}: {name} --version")
        out[name] = command.strip()
    return out


def _reader_path(value: Any, option: str, where: Callable[..., str]) -> str:
    """``reader_dir``/``reader_home`` checked: an absolute, normalised path other than /."""
    if (not isinstance(value, str) or not value.startswith("/") or value.rstrip("/") == ""
            or posixpath.normpath(value) != value.rstrip("/") or any(c in value for c in "\n\0")):
        raise FaqkbError(f"{where(option)}: {option} must be an absolute directory path such as "
                         f"{READER_DIR if option == 'reader_dir' else READER_HOME} (got {value!r})")
    return value.rstrip("/")


def option_position(config_file: Path, keys: tuple[str, ...]) -> tuple[int, int]:
    """The 1-based (line, col) of ``plugins: - faqkb: KEY...`` in ``config_file``: of the
    deepest of those keys it holds; (1, 1) when the file cannot be read."""
    try:
        node = yaml.compose(config_file.read_text("utf-8"), Loader=_LenientLoader)
    except (OSError, yaml.YAMLError):
        return (1, 1)
    found = _child(node, "plugins")
    items = found[1].value if found and isinstance(found[1], yaml.SequenceNode) else []
    path = [found, next((f for item in items if (f := _child(item, "faqkb"))), None)]
    for key in keys:
        path.append(_child(path[-1][1], key) if path[-1] else None)
    deepest = next((p for p in reversed(path) if p), None)
    if deepest is None:
        return (1, 1)
    return (deepest[0].start_mark.line + 1, deepest[0].start_mark.column + 1)


def _child(node: Any, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of ``key`` in a mapping node, else None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None
