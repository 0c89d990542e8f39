"""`plugins: [faqkb]` is all a site needs: the plugin adds the Markdown extensions and the
stylesheet its pages use, a strict build fails on a broken anchor, and a config without the
plugin (or named mkdocs.yaml) is handled."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

ENTRY = MINIMAL.format(id="alpha") + """\
aliases: [Another way to ask]
tags: [keys]
see_also: [beta]
commands:
  - title: Say hello
    run: echo hello
    expect: {stdout: [hello]}
"""
BARE = "site_name: Bare\ntheme: {name: material}\nplugins: [search, faqkb]\n"


def _bare_project(tmp_path: Path, config: str = BARE) -> Path:
    project = make_project(tmp_path, {"alpha": ENTRY, "beta": MINIMAL.format(id="beta")}, tags="keys: Keys\n")
    (project / "mkdocs.yml").write_text(config)
    return project


def test_a_bare_config_gets_the_extensions_and_stylesheet_the_pages_need(tmp_path: Path, mkdocs) -> None:
    project = _bare_project(tmp_path)
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    page = (project / "site" / "faq" / "alpha" / "index.html").read_text()
    assert re.search(r'<h1 data-faqkb-entry="alpha" id="alpha">', page)  # attr_list
    assert "{ #alpha" not in page and "{ .faqkb-tag }" not in page and "??? quote" not in page
    assert '<details class="quote">' in page  # pymdownx.details
    assert '<div class="faqkb-command faqkb-passed">' in page and "<strong>Say hello</strong>" in page  # md_in_html
    assert '<span class="gp">$ </span>' in page  # pymdownx.highlight: a console block
    assert 'href="../../assets/faqkb.css"' in page
    css = (project / "site" / "assets" / "faqkb.css").read_text()
    assert ".faqkb-mark-passed::before" in css
    # the script that makes scrolling code blocks focusable, on every page
    assert '<script src="../../assets/faqkb.js"></script>' in page
    assert 'setAttribute("tabindex", "0")' in (project / "site" / "assets" / "faqkb.js").read_text()


def test_the_sites_own_extension_options_and_stylesheet_are_kept(tmp_path: Path, mkdocs) -> None:
    project = _bare_project(tmp_path, BARE + "markdown_extensions:\n  - toc:\n      permalink: '#'\n"
                            "  - pymdownx.highlight:\n      linenums: true\n")
    (project / "docs" / "assets").mkdir()
    (project / "docs" / "assets" / "faqkb.css").write_text(".faqkb-mark { color: hotpink; }\n")
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    page = (project / "site" / "faq" / "alpha" / "index.html").read_text()
    assert 'class="headerlink" href="#alpha"' in page  # the site's toc options
    assert 'class="linenos"' in page or "linenodiv" in page  # the site's highlight options
    assert (project / "site" / "assets" / "faqkb.css").read_text() == ".faqkb-mark { color: hotpink; }\n"
    assert page.count("assets/faqkb.css") == 1


def test_a_strict_build_fails_on_a_broken_anchor_unless_the_site_says_otherwise(tmp_path: Path, mkdocs) -> None:
    project = _bare_project(tmp_path)
    (project / "docs" / "index.md").write_text("# Home\n\nSee [alpha](faq/certificates.md#alpah).\n")
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 1
    assert "WARNING" in res.stderr and "does not contain an anchor '#alpah'" in res.stderr
    (project / "mkdocs.yml").write_text(BARE + "validation:\n  anchors: info\n")
    assert mkdocs(project, "build", "--strict").returncode == 0


def test_faqkb_build_without_the_plugin_says_what_to_add(tmp_path: Path, faqkb) -> None:
    project = _bare_project(tmp_path, "site_name: Bare\ntheme: {name: material}\nplugins: [search]\n")
    res = faqkb(project, "build", "--strict")
    assert res.returncode == 2, res.stderr
    assert "mkdocs.yml does not list the faqkb plugin" in res.stderr
    assert "plugins:\n  - search\n  - faqkb" in res.stderr
    assert not (project / "site").exists()


def test_mkdocs_yaml_is_found_like_mkdocs_yml(tmp_path: Path, faqkb) -> None:
    project = _bare_project(tmp_path, BARE.replace("[search, faqkb]", "{search: {}, faqkb: {faq_dir: qs}}"))
    (project / "mkdocs.yml").rename(project / "mkdocs.yaml")
    (project / "docs" / "faq").rename(project / "docs" / "qs")
    for args in (["lint"], ["verify"], ["show", "alpha"]):
        res = faqkb(project / "docs", *args)
        assert res.returncode == 0, (args, res.stderr)
    res = faqkb(project, "build", "--strict", timeout=300)
    assert res.returncode == 0, res.stderr
    assert (project / "site" / "qs" / "certificates" / "index.html").is_file()
    (project / "mkdocs.yaml").unlink()
    res = faqkb(project, "build")
    assert res.returncode == 2 and "no mkdocs.yml (or mkdocs.yaml) found" in res.stderr and "faqkb init" in res.stderr


def test_render_out_carries_the_stylesheet_for_other_generators(tmp_path: Path, faqkb) -> None:
    project = _bare_project(tmp_path)
    res = faqkb(project, "render", "--no-verify", "--out", str(tmp_path / "rendered"))
    assert res.returncode == 0, res.stderr
    assert ".faqkb-mark-passed::before" in (tmp_path / "rendered" / "assets" / "faqkb.css").read_text()
    assert "tabindex" in (tmp_path / "rendered" / "assets" / "faqkb.js").read_text()
    (project / "docs" / "assets").mkdir()
    (project / "docs" / "assets" / "faqkb.css").write_text("/* ours */\n")
    res = faqkb(project, "render", "--no-verify", "--out", str(tmp_path / "rendered"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "rendered" / "assets" / "faqkb.css").read_text() == "/* ours */\n"
