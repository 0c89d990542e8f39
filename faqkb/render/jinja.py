"""The one Jinja environment every page is rendered with: faqkb's templates (``templates/``),
each replaceable by a knowledge base's own file of the same name (its ``templates_dir``).

A knowledge base's template that replaces nothing is a typo until proven otherwise, so it is
reported (with "did you mean"), unless its name starts with ``_``: that marks a partial of the
team's own, for its templates to include. Errors in a team's template are reported as
``file:line: message``, like any other content problem.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2

from faqkb._util import did_you_mean
from faqkb.errors import ContentError, Problem
from faqkb.render.markdown import md_inline, safe_markdown, yaml_str

#: faqkb's own templates (package data).
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: How a team's template reaches the default it replaces, to wrap it:
#: ``{% include "default/entry.md.j2" %}``.
DEFAULT_PREFIX = "default"


def default_names() -> list[str]:
    """The names of faqkb's templates, each one a team may replace."""
    return sorted(p.name for p in TEMPLATES.glob("*.j2"))


def _overrides(templates_dir: Path | None) -> tuple[str, ...]:
    if templates_dir is None or not templates_dir.is_dir():
        return ()
    return tuple(sorted(p.relative_to(templates_dir).as_posix() for p in templates_dir.rglob("*.j2")))


@functools.cache
def _environment(templates_dir: Path | None, overrides: tuple[str, ...]) -> jinja2.Environment:
    # Keyed by the override names too: Jinja re-reads a changed file by itself, but a file
    # added beside a cached default (during `mkdocs serve`) would otherwise go unseen.
    package = jinja2.FileSystemLoader(TEMPLATES)
    loaders: list[jinja2.BaseLoader] = [package]
    if overrides and templates_dir is not None:
        loaders = [jinja2.FileSystemLoader(templates_dir), package,
                   jinja2.PrefixLoader({DEFAULT_PREFIX: package})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        autoescape=False,  # Markdown output; values are escaped explicitly where needed
    )
    env.filters["md_inline"] = md_inline
    env.filters["safe_markdown"] = safe_markdown
    env.filters["yaml_str"] = yaml_str
    return env


def check_overrides(templates_dir: Path | None) -> list[Problem]:
    """Every problem of a knowledge base's templates: a missing folder, a name that replaces
    nothing, a syntax error (``file:line``)."""
    if templates_dir is None:
        return []
    if not templates_dir.is_dir():
        return [Problem(str(templates_dir), 1, 1, "templates folder not found; make it with "
                        f"`faqkb templates --out {templates_dir.name}` or remove templates_dir "
                        "from mkdocs.yml")]
    names = _overrides(templates_dir)
    env = _environment(templates_dir, names)
    known = default_names()
    problems: list[Problem] = []
    for name in names:
        path = templates_dir / name
        if name not in known and not any(part.startswith("_") for part in name.split("/")):
            hint = did_you_mean(name, known, otherwise=f"faqkb's templates are {', '.join(known)}")
            problems.append(Problem(str(path), 1, 1, f"template {name!r} replaces none of faqkb's; "
                                    f"{hint} (start the name with _ for a partial of your own)"))
            continue
        try:
            env.get_template(name)
        except jinja2.TemplateSyntaxError as exc:
            problems.append(Problem(str(path), exc.lineno or 1, 1, f"template error: {exc.message}"))
    return problems


def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The Jinja environment (StrictUndefined, so typos fail loudly) with the knowledge base's
    templates first; a :class:`~faqkb.errors.ContentError` when they have problems."""
    problems = check_overrides(templates_dir)
    if problems:
        raise ContentError(problems)
    return _environment(templates_dir, _overrides(templates_dir))


def _frames(tb: TracebackType | None) -> Iterator[tuple[str, int]]:
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next


def render(env: jinja2.Environment, name: str, templates_dir: Path | None = None, **data: Any) -> str:
    """Render template ``name``; an error raised inside one of the knowledge base's own
    templates becomes a ContentError at that template's ``file:line``."""
    try:
        return env.get_template(name).render(**data)
    except Exception as exc:
        if templates_dir is None:
            raise
        # Jinja names a template's frames after its file, at the template's own line numbers;
        # the innermost frame in the team's folder is where their template went wrong.
        ours = [(f, n) for f, n in _frames(exc.__traceback__) if Path(f).is_relative_to(templates_dir)]
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            ours.append((exc.filename, exc.lineno or 1))
        if not ours:
            raise  # faqkb's own templates: a bug of faqkb's, with its traceback
        where, line = ours[-1]
        if isinstance(exc, jinja2.TemplateNotFound):
            message = f"no template {exc.name!r} to include; {did_you_mean(str(exc.name), default_names())}"
        elif isinstance(exc, jinja2.TemplateError) and exc.message:
            message = exc.message
        else:
            message = f"{type(exc).__name__}: {exc}"
        raise ContentError([Problem(where, line, 1, f"template error: {message}; fix it, or "
                                    "remove the file to use faqkb's default")]) from None
