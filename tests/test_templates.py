"""A knowledge base's own page templates: they replace faqkb's of the same name, take part in
the page memo, and their mistakes are reported at file:line; `faqkb templates` copies the
defaults out and never overwrites."""

from __future__ import annotations

from pathlib import Path

import pytest

from faqkb.errors import ContentError
from faqkb.pipeline.builder import build
from faqkb.project import Project
from faqkb.render.jinja import TEMPLATES, default_names
from tests.kbutil import MINIMAL, make_project

ENTRY = MINIMAL.format(id="alpha") + "commands:\n  - run: echo hello\n    expect: {stdout: [hello]}\n"
DEFAULT_ENTRY = (TEMPLATES / "entry.md.j2").read_text()


def _kb(tmp_path: Path, templates: dict[str, str], folder: str = "faqkb_templates") -> Project:
    root = make_project(tmp_path, {"alpha": ENTRY})
    for name, text in templates.items():
        path = root / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Project.discover(root)


def test_a_template_of_the_kb_replaces_the_default_and_a_change_re_renders(tmp_path: Path) -> None:
    project = _kb(tmp_path, {"entry.md.j2": DEFAULT_ENTRY + "Owned by the docs team ({{ e.id }}).\n"})
    assert project.templates_dir == tmp_path / "faqkb_templates"
    page = build(project).pages["faq/alpha.md"]
    assert "Owned by the docs team (alpha)." in page
    assert "$ echo hello\nhello" in page  # the rest is the default, real output included
    said: list[str] = []
    build(project, progress=said.append)
    assert any("pages reused" in m for m in said)  # unchanged: the memo holds
    (project.templates_dir / "entry.md.j2").write_text(DEFAULT_ENTRY + "Owned by the ops team.\n")
    said.clear()
    page = build(project, progress=said.append).pages["faq/alpha.md"]
    assert not any("pages reused" in m for m in said)
    assert "Owned by the ops team." in page and "docs team" not in page


def test_an_override_can_wrap_the_default_and_include_its_own_partials(tmp_path: Path) -> None:
    project = _kb(tmp_path, {
        "entry.md.j2": '{% include "_banner.j2" %}\n{% include "default/entry.md.j2" %}',
        "_banner.j2": "!!! note \"Reviewed\"\n    {{ e.question }}\n",
    })
    page = build(project, verify=False).pages["faq/alpha.md"]
    assert '!!! note "Reviewed"\n    What is alpha?\n' in page
    assert "# What is alpha? { #alpha" in page  # the default entry, after the banner


def test_without_a_templates_folder_the_defaults_render(tmp_path: Path) -> None:
    project = _kb(tmp_path, {})
    assert project.templates_dir is None
    assert "# What is alpha? { #alpha" in build(project, verify=False).pages["faq/alpha.md"]


def test_templates_dir_option_names_another_folder(tmp_path: Path) -> None:
    project = _kb(tmp_path, {"tags.md.j2": "# Our tags\n"}, folder="look")
    cfg = tmp_path / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("plugins: [faqkb]", "plugins: [{faqkb: {templates_dir: look}}]"))
    project = Project.discover(tmp_path)
    assert build(project, verify=False).pages["faq/tags.md"] == "# Our tags\n"
    cfg.write_text(cfg.read_text().replace("templates_dir: look", "templates_dir: lookk"))
    with pytest.raises(ContentError, match=r"lookk:1:1: templates folder not found"):
        build(Project.discover(tmp_path), verify=False)


@pytest.mark.parametrize(("name", "text", "where", "message"), [
    ("entyr.md.j2", "x", "entyr.md.j2:1:1", "template 'entyr.md.j2' replaces none of faqkb's; did you mean "
                                            "'entry.md.j2'? (start the name with _ for a partial"),
    ("section.md.j2", "# {{ section.title }}\n\n{% for e in entries %}\n{{ e.id }\n{% endfor %}\n",
     "section.md.j2:4:1", "template error: unexpected '}'"),
    ("entry.md.j2", "## {{ e.question }}\n\n{{ e.questoin }}\n", "entry.md.j2:3:1",
     "template error: 'dict object' has no attribute 'questoin'; fix it, or remove the file"),
    ("index.md.j2", "# All\n{% include 'nosuch.j2' %}\n", "index.md.j2:2:1",
     "template error: no template 'nosuch.j2' to include"),
])
def test_template_mistakes_are_reported_at_file_and_line(tmp_path: Path, faqkb, name: str, text: str,
                                                          where: str, message: str) -> None:
    project = _kb(tmp_path, {name: text})
    with pytest.raises(ContentError) as exc:
        build(project, verify=False)
    [problem] = exc.value.problems
    assert str(problem).startswith(f"{project.templates_dir}/{where}: {message}"), str(problem)
    res = faqkb(tmp_path, "build", "--strict", timeout=300)  # before MkDocs starts, or through it
    assert res.returncode in (1, 2) and f"{where}: {message}" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr


def test_faqkb_templates_copies_the_defaults_and_never_overwrites(tmp_path: Path, faqkb) -> None:
    root = make_project(tmp_path, {"alpha": ENTRY})
    res = faqkb(root / "docs", "templates")  # from a subfolder: beside mkdocs.yml
    assert res.returncode == 0, res.stderr
    out = root / "faqkb_templates"
    assert sorted(p.name for p in out.iterdir()) == default_names()
    assert all((out / n).read_text() == (TEMPLATES / n).read_text() for n in default_names())
    (out / "entry.md.j2").write_text("mine\n")
    again = faqkb(root, "templates")
    assert again.returncode == 2 and "already has entry.md.j2" in again.stderr and "nothing was written" in again.stderr
    assert (out / "entry.md.j2").read_text() == "mine\n"
    elsewhere = faqkb(root, "templates", "--out", "look")
    assert elsewhere.returncode == 0 and sorted(p.name for p in (root / "look").iterdir()) == default_names()
