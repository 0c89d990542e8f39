"""faqkb is a generator: a second knowledge base, on Git and shell tools, from a built wheel.

As a new team would meet it: faqkb built into a wheel and installed (not editable) into a fresh
venv; ``faqkb init`` in an empty folder; the KB of ``tests/second_kb/`` copied in; then lint,
verify, build, ``mkdocs build --strict`` and ``pytest --faqkb``, all from that venv. The
dependencies (mkdocs, Material, pytest...) come from this project's own venv through a ``.pth``
file, so nothing is downloaded; faqkb itself is imported from the wheel's install only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.kbutil import build_wheel_venv, tool_env

SECOND_KB = Path(__file__).parent / "second_kb"
#: The tools the second KB declares (their version commands), as a team would in mkdocs.yml.
TOOLS = {"git": "git --version", "python3": "python3 --version", "curl": "curl --version",
         "tar": "tar --version", "sha256sum": "sha256sum --version"}


def _run(argv: list[str], cwd: Path, home: Path, venv_bin: Path,
         timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = tool_env(home, {"PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin"})
    env.pop("PYTHONPATH", None)  # only what the venv itself has
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          start_new_session=True, check=False, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh venv holding faqkb installed from a wheel built here."""
    return build_wheel_venv(tmp_path_factory.mktemp("wheel"))


def test_the_second_kb_builds_from_a_wheel(wheel_venv: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    where = _run([str(wheel_venv / "python"), "-c", "import faqkb; print(faqkb.__file__)"],
                 tmp_path, home, wheel_venv)
    assert where.stdout.startswith(str(wheel_venv.parent)), where  # the wheel's, not the checkout's
    faqkb = str(wheel_venv / "faqkb")

    init = _run([faqkb, "init", "gitfaq"], tmp_path, home, wheel_venv)
    assert init.returncode == 0, init.stdout + init.stderr
    project = tmp_path / "gitfaq"
    # The init'd project must build as it is, before any change.
    first = _run([faqkb, "build", "--strict"], project, home, wheel_venv)
    assert first.returncode == 0, first.stdout + first.stderr

    faq = project / "docs" / "faq"
    for old in faq.glob("*.yml"):  # replace the example with the second KB
        old.unlink()
    for new in (SECOND_KB / "faq").iterdir():
        shutil.copy(new, faq / new.name)
    shutil.copytree(SECOND_KB / "snippets", project / "snippets", dirs_exist_ok=True)
    config = yaml.safe_load((project / "mkdocs.yml").read_text())
    plugins = config["plugins"]
    for i, plugin in enumerate(plugins):
        if plugin == "faqkb" or (isinstance(plugin, dict) and "faqkb" in plugin):
            options = plugin["faqkb"] if isinstance(plugin, dict) else {}
            plugins[i] = {"faqkb": {**(options or {}), "tools": TOOLS}}
    # The nav lists one page per section, as init's comment there says: ours, not "basics".
    nav = [item for item in config["nav"] if "faq/basics.md" not in item.values()]
    at = next(i for i, item in enumerate(nav) if "faq/index.md" in item.values()) + 1
    nav[at:at] = [{"Git": "faq/git.md"}, {"Shell and tools": "faq/shell.md"}]
    config["nav"] = nav
    (project / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False))

    for argv in ([faqkb, "lint"], [faqkb, "verify", "--strict"], [faqkb, "build", "--strict"],
                 [str(wheel_venv / "python"), "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "plain")],
                 [str(wheel_venv / "python"), "-m", "pytest", "--faqkb", "-q", "-p", "no:cacheprovider",
                  "docs/faq"]):
        res = _run(argv, project, home, wheel_venv)
        assert res.returncode == 0, f"{argv}:\n{res.stdout}\n{res.stderr}"

    # Each command's mark names the tools it ran, with their versions, and no other.
    git_version = re.search(r"\d+\.\d+(\.\d+)?", subprocess.run(
        ["git", "--version"], capture_output=True, text=True, check=True, timeout=30).stdout)
    assert git_version
    def section_pages(section: str) -> str:  # its questions' own pages, one after the other
        ids = [f.stem for f in sorted((project / "docs" / "faq").glob("*.yml"))
               if not f.name.startswith("_") and yaml.safe_load(f.read_text())["section"] == section]
        assert ids
        return "".join((project / "site" / "faq" / i / "index.html").read_text() for i in ids)

    page = section_pages("git")
    assert f"git {git_version.group(0)}" in page
    assert "OpenSSL" not in page  # no git command runs openssl
    shell = section_pages("shell")
    assert "with curl " in shell and "python3 " in shell and "sha256sum " in shell
    assert "Originally asked" not in page  # no legacy, no legacy note
    assert os.path.exists(project / "site" / "faq" / "shell" / "index.html")

    # A snapshot command fails with a diff once its output changes, and records it again.
    (project / "snippets" / "data.json").write_text('{"b": 2, "a": [1, 2]}\n')
    changed = _run([faqkb, "verify"], project, home, wheel_venv)
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "differs from its snapshot" in changed.stderr, changed.stderr
    assert re.search(r'^\s*-\s*"b": 1$', changed.stderr, re.M), changed.stderr
    assert re.search(r'^\s*\+\s*"b": 2$', changed.stderr, re.M), changed.stderr
    update = _run([faqkb, "verify", "--update", "json-pretty"], project, home, wheel_venv)
    assert update.returncode == 0, update.stdout + update.stderr
    assert '"b": 2' in (faq / "json-pretty.snap").read_text()
