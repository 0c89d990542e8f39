"""How the site looks and reads: the "See also" line, the two palettes, the search separator,
the marks' contrast in both palettes, the script that makes scrolling code blocks focusable."""

from __future__ import annotations

import re
from pathlib import Path

from tests.kbutil import MINIMAL, make_project

THREE = {
    "alpha": MINIMAL.format(id="alpha") + "see_also: [beta, gamma]\n",
    "beta": MINIMAL.format(id="beta"),
    "gamma": MINIMAL.format(id="gamma"),
}


def test_see_also_class_lands_on_the_paragraph(tmp_path: Path, faqkb, mkdocs) -> None:
    project = make_project(tmp_path / "kb", THREE)
    out = tmp_path / "rendered"
    res = faqkb(project, "render", "--out", str(out))
    assert res.returncode == 0, res.stderr
    text = (out / "faq" / "certificates.md").read_text()
    # The attr list on a line of its own belongs to the paragraph; glued to `](url)` it would
    # belong to the last link.
    assert re.search(r"^See also: .*\(certificates\.md#gamma\)\n\{ \.faqkb-see-also \}$", text, re.M), text
    res = mkdocs(project, "build", "--strict")
    assert res.returncode == 0, res.stderr
    page = (project / "site" / "faq" / "certificates" / "index.html").read_text()
    para = re.search(r'<p class="faqkb-see-also">See also: (.*?)</p>', page, re.S)
    assert para, page
    links = re.findall(r"<a ([^>]*)>", para.group(1))
    assert len(links) == 2 and all("faqkb-see-also" not in a for a in links), links
    assert 'class="faqkb-see-also"' not in page.replace('<p class="faqkb-see-also">', "")
