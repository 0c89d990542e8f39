"""Lookup speed: `faqkb search` wall time against `python -c pass`, paired, on this KB and on
10,000 synthetic entries generated here. Limits (issue 13): 2.0x on this KB, 3.0x at 10,000.

Run: `.venv/bin/python bench/search.py [-n ROUNDS]`. Each round runs the interpreter alone and
then a lookup, alternately, so load on the machine hits both alike; the medians are compared.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = str(REPO / ".venv" / "bin" / "python")
FAQKB = str(REPO / ".venv" / "bin" / "faqkb")
QUERIES = ["no shared cipher", "error:1408F10B:SSL routines:ssl3_get_record:wrong version number",
           "How do I remove the pass phrase from my key?", "AH02578"]
WORDS = ("certificate key handshake cipher proxy cache session renegotiation client server chain "
         "protocol module virtual host redirect timeout buffer header cookie token socket").split()


def _run(argv: list[str], cwd: Path) -> float:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8"}
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120, start_new_session=True, check=False)
    return time.perf_counter() - start


def paired(cwd: Path, rounds: int) -> tuple[float, float]:
    base, look = [], []
    _run([FAQKB, "search", "warm", "up"], cwd)  # builds the index once, outside the timing
    for i in range(rounds):
        base.append(_run([PY, "-c", "pass"], cwd))
        look.append(_run([FAQKB, "search", QUERIES[i % len(QUERIES)]], cwd))
    return statistics.median(base), statistics.median(look)


def synthetic(root: Path, n: int) -> Path:
    faq = root / "docs" / "faq"
    faq.mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Synthetic\nplugins: [faqkb]\n")
    (faq / "_sections.yml").write_text("- {id: s, title: Synthetic}\n")
    for i in range(n):
        w = [WORDS[(i * k + k) % len(WORDS)] for k in range(1, 6)]
        (faq / f"e{i:05d}.yml").write_text(
            f"id: e{i:05d}\nsection: s\nquestion: Why does the {w[0]} {w[1]} fail {i}?\n"
            f"answer: |\n  The {w[2]} and the {w[3]} of the {w[4]}; see error {i:08X}.\n")
    return root


def main() -> int:
    rounds = int(sys.argv[sys.argv.index("-n") + 1]) if "-n" in sys.argv else 20
    ok = True
    with tempfile.TemporaryDirectory(prefix="faqkb-bench-") as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(REPO / "docs", kb / "docs")
        shutil.copy(REPO / "mkdocs.yml", kb / "mkdocs.yml")
        if (REPO / ".faqkb-cache" / "results").is_dir():  # the verified output, as indexed
            shutil.copytree(REPO / ".faqkb-cache" / "results", kb / ".faqkb-cache" / "results")
        big = synthetic(Path(tmp) / "big", 10_000)
        for name, cwd, limit in (("this KB", kb, 2.0), ("10,000 entries", big, 3.0)):
            base, look = paired(cwd, rounds)
            ratio = look / base
            ok &= ratio <= limit
            print(f"{name:15} python -c pass {base * 1000:6.1f} ms   faqkb search {look * 1000:6.1f} ms"
                  f"   {ratio:4.2f}x (limit {limit}x) {'ok' if ratio <= limit else 'OVER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    os.nice(0)
    sys.exit(main())
