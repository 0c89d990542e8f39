"""How faqkb scales with the number of entries: per-entry cost and peak memory.

Generates knowledge bases of 100, 1,000 and 10,000 entries (each with two cheap local
commands) in a temporary folder and times, in fresh processes, `faqkb lint`, `faqkb verify`
(cold, then warm: every result cached), `faqkb build --no-verify` and the search index
(`faqkb search`, which builds it on first use). Prints milliseconds per entry and each
process's peak memory (max RSS), then how 10,000 compares with 1,000 (target: per-entry cost
within 1.5x, memory growing no faster than the entries).

    python bench/scale.py                 # 100, 1000, 10000
    python bench/scale.py --sizes 100,1000 --jobs 2

The 10,000-entry verify runs 20,000 sandboxed commands: on a small shared machine that
takes a long while; --sizes keeps it to what the machine can spare.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = 20

ENTRY = """\
id: {id}
section: s{section}
question: How does step {n} of the scale bench work?
tags: [bench]
answer: |
  Entry {n} of the generated knowledge base: it prints a word and checks a file,
  word{n} and marker{n} make its text differ from the others'.
commands:
  - title: Print a word
    run: echo word{n}
    expect: {{stdout: ['^word{n}$']}}
  - run: printf 'marker{n}\\n' > out.txt && cat out.txt
    expect: {{stdout: ['^marker{n}$'], files: [out.txt]}}
"""


def make_kb(root: Path, n: int) -> Path:
    """A knowledge base of ``n`` entries in ``root``."""
    faq = root / "docs" / "faq"
    faq.mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# Scale bench\n")
    (root / "mkdocs.yml").write_text(
        "site_name: Scale bench\ntheme: {name: material}\nplugins:\n  - faqkb:\n"
        "      tools: {bash: bash --version}\n")
    (faq / "_sections.yml").write_text(
        "".join(f"- id: s{i}\n  title: Section {i}\n" for i in range(SECTIONS)))
    for i in range(n):
        (faq / f"e{i:05d}.yml").write_text(ENTRY.format(id=f"e{i:05d}", section=i % SECTIONS, n=i))
    return root


def timed(cwd: Path, *args: str, timeout: float) -> tuple[float, int, int]:
    """Run ``python -m faqkb ARGS``: (seconds, peak RSS in KiB, exit status)."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "TMPDIR", "LANG")}
    env.update(NO_COLOR="1", NO_MKDOCS_2_WARNING="1")
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "faqkb", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.monotonic() - start, usage.ru_maxrss, proc.returncode


STEPS = {
    "lint": ("lint",),
    "verify cold": ("verify",),
    "verify warm": ("verify",),
    "build": ("build", "--no-verify"),
    "search index": ("search", "marker7"),
}


def bench(sizes: list[int], jobs: int, timeout: float) -> dict[int, dict[str, tuple[float, int, int]]]:
    """Each step at each size: (ms per entry, peak RSS KiB, exit status)."""
    out: dict[int, dict[str, tuple[float, int, int]]] = {}
    with tempfile.TemporaryDirectory(prefix="faqkb-scale-") as tmp:
        for n in sizes:
            kb = make_kb(Path(tmp) / f"kb{n}", n)
            out[n] = {}
            for name, args in STEPS.items():
                extra = ("--jobs", str(jobs)) if args[0] in ("verify",) else ()
                seconds, rss, code = timed(kb, *args, *extra, timeout=timeout)
                out[n][name] = (1000 * seconds / n, rss, code)
                print(f"{n:>6} entries  {name:<13} {1000 * seconds / n:8.2f} ms/entry  "
                      f"{rss / 1024:7.1f} MiB  exit {code}", flush=True)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="100,1000,10000", help="comma-separated entry counts")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="verify --jobs")
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed per step")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = bench(sizes, args.jobs, args.timeout)
    if 1000 in results and 10000 in results:
        print("\n10,000 against 1,000 (target: time <= 1.5x per entry, memory <= 10x):")
        ok = True
        for name in STEPS:
            t1, m1, _ = results[1000][name]
            t2, m2, _ = results[10000][name]
            good = t2 <= 1.5 * t1 and m2 <= 10 * m1
            ok &= good
            print(f"  {name:<13} {t2 / t1:5.2f}x per entry, {m2 / m1:5.2f}x memory  "
                  f"{'ok' if good else 'OVER'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
