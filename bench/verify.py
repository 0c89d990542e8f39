"""Benchmark verification and warm rebuilds; prints ratios measured in this one run.

1. Cold: a full verification with no cached result, against the ideal of the
   commands' own run times spread over the cores: wall / (sum(command seconds) / jobs).
   Measured twice: on a fresh checkout (nothing known about the entries), and again
   with the timings the first run left, which the scheduler uses to start the slowest
   entries first (results are still not reused). Each is run COLD_RUNS times and the
   median run is compared. Target: <= 1.3 for both.
2. Warm: `mkdocs build` with the faqkb plugin and nothing changed (every result
   cached) against a plain `mkdocs build` of the very same rendered pages without
   the plugin. Target: <= 1.2. The two sides are run REPEAT times, interleaved, and
   their fastest runs are compared: on a shared machine other work only ever adds
   time, so the minimum is the steadiest estimate of each side's own cost.

Run with `make bench` (or `.venv/bin/python bench/verify.py`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from faqkb.errors import ContentError  # noqa: E402
from faqkb.load.loader import load_kb  # noqa: E402
from faqkb.project import Project  # noqa: E402
from faqkb.verify.verifier import verify_kb  # noqa: E402

REPEAT = 7
COLD_RUNS = 3
COLD_TARGET = 1.3
WARM_TARGET = 1.2
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def cold(project: Project, jobs: int) -> tuple[float, float, int]:
    """Wall time of a cache-less verification, and the commands' own summed time."""
    kb = load_kb(project.faq_dir, project.snippets_dir)
    start = time.monotonic()
    report = verify_kb(kb, project, jobs=jobs, use_cache=False)
    wall = time.monotonic() - start
    own = sum(c.seconds for er in report.results.values() for c in er.commands)
    if not report.ok:
        bad = [f"{er.entry}[{c.index}]" for er in report.results.values() for c in er.commands if not c.ok]
        print(f"warning: {len(bad)} commands failed: {', '.join(bad[:10])}", file=sys.stderr)
    n = sum(len(er.commands) for er in report.results.values())
    return wall, own, n


def _mkdocs(config: Path, site: Path) -> float:
    start = time.monotonic()
    res = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(config), "-d", str(site)],
                         cwd=config.parent, env=ENV, check=False, timeout=600, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if res.returncode != 0:
        raise SystemExit(f"bench: mkdocs build -f {config} failed:\n{res.stderr[-3000:]}")
    return seconds


def warm(work: Path) -> tuple[float, float]:
    """Fastest seconds of a warm plugin build and of a plain build of the same pages."""
    rendered = work / "rendered"
    subprocess.run([sys.executable, "-m", "faqkb", "render", "--out", str(rendered)], cwd=work,
                   env=ENV, check=True, timeout=3600, capture_output=True)
    cfg = yaml.safe_load((work / "mkdocs.yml").read_text())
    cfg["plugins"] = [p for p in cfg.get("plugins", []) if not (p == "faqkb" or
                                                                 (isinstance(p, dict) and "faqkb" in p))]
    cfg["docs_dir"] = str(rendered)
    plain = work / "mkdocs-plain.yml"
    plain.write_text(yaml.safe_dump(cfg))
    with_plugin, without = [], []
    for i in range(REPEAT):
        with_plugin.append(_mkdocs(work / "mkdocs.yml", work / f"site-a{i}"))
        without.append(_mkdocs(plain, work / f"site-b{i}"))
    return min(with_plugin), min(without)


def main() -> int:
    jobs = os.cpu_count() or 1
    # Installed packages come with bytecode; faqkb (an editable install) gets it here, so
    # with PYTHONDONTWRITEBYTECODE set, both warm builds start from compiled code.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "faqkb")], check=True,
                   timeout=300)
    with tempfile.TemporaryDirectory(prefix="faqkb-bench-") as tmp:
        work = Path(tmp)
        shutil.copy(REPO / "mkdocs.yml", work)
        shutil.copytree(REPO / "docs", work / "docs")
        shutil.copytree(REPO / "snippets", work / "snippets")
        project = Project.discover(work)
        cold_ratios = []
        for label, fresh in (("fresh checkout", True), ("with last run's timings", False)):
            runs = []
            for _ in range(COLD_RUNS):
                if fresh:  # forget what earlier runs learnt about the entries
                    shutil.rmtree(project.cache_dir, ignore_errors=True)
                try:
                    wall, own, n = cold(project, jobs)
                except ContentError as exc:
                    print(f"bench: the knowledge base is invalid; run `faqkb lint` first\n{exc}",
                          file=sys.stderr)
                    return 2
                runs.append((wall / (own / jobs), wall, own))
            ratio, wall, own = sorted(runs)[len(runs) // 2]
            cold_ratios.append(ratio)
            print(f"cold ({label}): {n} commands; median of {COLD_RUNS} runs: wall {wall:.2f} s, "
                  f"commands' own time {own:.2f} s over {jobs} cores = ideal {own / jobs:.2f} s; "
                  f"ratio {ratio:.2f} (target <= {COLD_TARGET}; runs: "
                  + ", ".join(f"{r[0]:.2f}" for r in runs) + ")")
        cold_ratio = max(cold_ratios)
        a, b = warm(work)
        warm_ratio = a / b
        print(f"warm: plugin build (all cached) {a:.2f} s vs plain mkdocs build {b:.2f} s "
              f"(fastest of {REPEAT}); ratio {warm_ratio:.2f} (target <= {WARM_TARGET})")
    ok = cold_ratio <= COLD_TARGET and warm_ratio <= WARM_TARGET
    print("bench: " + ("within targets" if ok else "OUTSIDE TARGETS"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
