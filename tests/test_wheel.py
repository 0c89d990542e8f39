"""The wheel holds everything an installed faqkb needs at run time: the schema, the page
templates, the stylesheet and the files `faqkb init` writes."""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from faqkb.render.jinja import default_names
from faqkb.starter.kb import SCAFFOLD
from tests.kbutil import REPO


def test_the_wheel_holds_the_package_data(tmp_path: Path, run_tool) -> None:
    # Built from a copy: pip writes build/ and *.egg-info/ beside the sources it builds.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "faqkb", src / "faqkb", ignore=shutil.ignore_patterns("__pycache__"))
    res = run_tool([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                    "--quiet", "-w", str(tmp_path / "dist"), str(src)], timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    [wheel] = (tmp_path / "dist").glob("faqkb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {"faqkb/schema/entry.schema.json", "faqkb/render/assets/faqkb.css", "faqkb/render/assets/faqkb.js",
              "faqkb/py.typed",
              *(f"faqkb/render/templates/{n}" for n in default_names()),
              *(f"faqkb/starter/kb/{p.relative_to(SCAFFOLD).as_posix()}" for p in SCAFFOLD.rglob("*")
                if p.is_file())}
    assert len(wanted) > 15
    assert wanted <= names, sorted(wanted - names)
