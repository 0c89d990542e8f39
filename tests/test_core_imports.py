"""The core must import neither mkdocs nor click (integrations are thin shells over it)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import faqkb

INTEGRATIONS = {"faqkb.integrations.cli", "faqkb.integrations.mkdocs_plugin", "faqkb.integrations.pytest_plugin"}


def core_modules() -> list[str]:
    return sorted(
        m.name
        for m in pkgutil.walk_packages(faqkb.__path__, "faqkb.")
        if m.name not in INTEGRATIONS
    )


def test_core_modules_found() -> None:
    mods = core_modules()
    assert "faqkb.load.loader" in mods and "faqkb.run.runner" in mods and "faqkb.render.pages" in mods


def test_core_imports_no_integration_package() -> None:
    code = (
        "import sys\n"
        f"for m in {core_modules()!r}:\n"
        "    __import__(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('mkdocs', 'click', 'material'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"core imports {out.stdout.strip()}"
