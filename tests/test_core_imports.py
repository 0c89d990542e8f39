"""The architecture as rules: no import cycle inside faqkb/, and only faqkb/integrations/
imports mkdocs, click or pytest (the core never does; the integrations are thin shells)."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import faqkb

PACKAGE = Path(faqkb.__file__).parent
INTEGRATIONS = "faqkb.integrations"
FRAMEWORKS = ("mkdocs", "click", "pytest", "material")


def all_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(faqkb.__path__, "faqkb."))


def core_modules() -> list[str]:
    return [m for m in all_modules() if not (m == INTEGRATIONS or m.startswith(INTEGRATIONS + "."))]


def _source(module: str) -> Path:
    rel = Path(*module.split(".")[1:])
    pkg = PACKAGE / rel / "__init__.py"
    return pkg if pkg.is_file() else (PACKAGE / rel).with_suffix(".py")


def imports_of(module: str, known: set[str]) -> set[str]:
    """The faqkb modules ``module`` imports, at the top or inside functions (both can loop).

    ``from faqkb.x import y`` counts as importing ``faqkb.x.y`` when that is a module, else
    ``faqkb.x``; type-checking-only imports are left out (they never run).
    """
    tree = ast.parse(_source(module).read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for n in ast.walk(node)}
    out: set[str] = set()
    is_pkg = _source(module).name == "__init__.py"
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("faqkb")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")[: len(module.split(".")) - node.level + is_pkg]
                base = ".".join([*parts, *([base] if base else [])])
            if not base.startswith("faqkb"):
                continue
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base)
    return {m for m in out if m in known and m != module}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path that returns to its start), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def import_graph() -> dict[str, set[str]]:
    known = set(all_modules()) | {"faqkb"}
    return {m: imports_of(m, known) for m in all_modules()}


def test_no_import_cycle_inside_faqkb() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_layout_is_folders_by_stage() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 8, f"faqkb/ holds {len(top)} modules directly: {top}; give them a stage folder"
    stages = {"load", "run", "proc", "pki", "tlsserver", "httpd", "verify", "render", "pipeline",
              "reports", "search", "integrations"}
    assert stages <= {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}


def test_only_integrations_import_frameworks() -> None:
    bad = []
    for module in core_modules():
        tree = ast.parse(_source(module).read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                     else [])
            bad += [f"{module} imports {n}" for n in names if n.split(".")[0] in FRAMEWORKS]
    assert not bad, bad


def test_core_imports_no_integration_package_at_run_time() -> None:
    code = (
        "import sys\n"
        f"for m in {core_modules()!r}:\n"
        "    __import__(m)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "", f"core imports {out.stdout.strip()}"


def test_pytest_plugin_start_loads_no_yaml() -> None:
    # The plugin is loaded at every pytest start in the environment: it must stay cheap.
    code = "import sys, faqkb.integrations.pytest_plugin; print('yaml' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_python_m_faqkb_works(faqkb) -> None:
    out = faqkb(PACKAGE.parent, "--help", timeout=60)  # the fixture is `python -m faqkb`
    assert out.returncode == 0 and "Usage: faqkb [OPTIONS] COMMAND" in out.stdout, out.stderr
