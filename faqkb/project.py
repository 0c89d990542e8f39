"""Where a knowledge base's parts live, read from ``mkdocs.yml`` without importing MkDocs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from faqkb.errors import FaqkbError

CONFIG_NAME = "mkdocs.yml"


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
        )

    @classmethod
    def discover(cls, start: Path | None = None, faq_dir: Path | None = None) -> Project:
        """Find ``mkdocs.yml`` at or above ``start`` (or above ``faq_dir``) and read its paths."""
        here = (faq_dir or start or Path.cwd()).resolve()
        for d in [here, *here.parents]:
            cfg = d / CONFIG_NAME
            if cfg.is_file():
                project = cls.from_settings(d, cfg, read_settings(cfg))
                break
        else:
            base = (start or Path.cwd()).resolve()
            project = cls.from_settings(base, None, {})
        if faq_dir is not None:
            project = cls(**{**project.__dict__, "faq_dir": faq_dir.resolve()})
        return project


def read_settings(config_file: Path) -> dict[str, Any]:
    """``docs_dir``/``site_dir`` and the ``faqkb`` plugin options from an mkdocs.yml."""
    try:
        data = yaml.load(config_file.read_text("utf-8"), Loader=_LenientLoader) or {}
    except yaml.YAMLError as exc:
        raise FaqkbError(f"{config_file}: cannot read it as YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise FaqkbError(f"{config_file}:1:1: expected a mapping of settings")
    out: dict[str, Any] = {
        k: data[k] for k in ("docs_dir", "site_dir", "use_directory_urls") if k in data
    }
    for plugin in data.get("plugins") or []:
        if isinstance(plugin, dict) and "faqkb" in plugin and isinstance(plugin["faqkb"], dict):
            out.update(plugin["faqkb"])
    return out
