"""Where a knowledge base's parts live, read from ``mkdocs.yml`` without importing MkDocs."""

from __future__ import annotations

from dataclasses import dataclass
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
