"""Interrupted builds of the shipped knowledge base: SIGKILL at 20 moments of a cold build,
then SIGINT and SIGTERM; after each, the previous site must be intact, no process of the build
left, nothing in its TMPDIR; at the end a build must succeed and leave no temporary folder.

Prints one line per trial and a summary; exits 1 on any leftover.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _digest(site: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(site.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(site)).encode() + p.read_bytes())
    return h.hexdigest()


def _ours(project: Path, tmpdir: Path) -> list[str]:
    """Processes whose command line names the project or the trial's TMPDIR."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                env = (d / "environ").read_bytes()
            except OSError:
                continue
            if str(project) in cmd or str(tmpdir).encode() in env:
                out.append(f"{d.name} {cmd[:80]}")
    return out


def main() -> int:
    rng = random.Random(20261201)
    with tempfile.TemporaryDirectory(prefix="faqkb-interrupt-") as tmp:
        os.chmod(tmp, 0o755)  # httpd's workers (User nobody) must reach the sandboxes in it
        work = Path(tmp) / "kb"
        work.mkdir()
        shutil.copy(ROOT / "mkdocs.yml", work)
        shutil.copytree(ROOT / "docs", work / "docs")
        shutil.copytree(ROOT / "snippets", work / "snippets")
        tmpdir = Path(tmp) / "t"
        tmpdir.mkdir(mode=0o755)
        env = {"PATH": os.environ["PATH"], "HOME": tmp, "LANG": "C.UTF-8", "TMPDIR": str(tmpdir),
               "NO_MKDOCS_2_WARNING": "1"}
        faqkb = [sys.executable, "-m", "faqkb", "build", "--strict"]
        subprocess.run(faqkb, cwd=work, env=env, check=True, capture_output=True, timeout=900)
        good = _digest(work / "site")
        trials = [(signal.SIGKILL, rng.uniform(0.1, 9.5)) for _ in range(20)]
        trials += [(sig, rng.uniform(0.5, 8.0)) for sig in (signal.SIGINT, signal.SIGTERM) for _ in range(3)]
        bad = 0
        for n, (sig, delay) in enumerate(trials, 1):
            shutil.rmtree(work / ".faqkb-cache", ignore_errors=True)
            proc = subprocess.Popen(faqkb, cwd=work, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            time.sleep(delay)
            proc.send_signal(sig)
            proc.wait(timeout=120)
            deadline = time.monotonic() + 40
            while (_ours(work, tmpdir) or any(tmpdir.iterdir())) and time.monotonic() < deadline:
                time.sleep(0.1)
            left, files = _ours(work, tmpdir), sorted(p.name for p in tmpdir.iterdir())
            intact = _digest(work / "site") == good
            ok = intact and not left and not files
            bad += not ok
            print(f"trial {n:2} {sig.name:7} at {delay:4.1f} s: exit {proc.returncode:4}, site "
                  f"{'intact' if intact else 'CHANGED'}, {len(left)} processes left, "
                  f"{len(files)} files in TMPDIR{'' if ok else '  <-- ' + str(left[:2] + files[:3])}")
            for p in left:
                os.kill(int(p.split()[0]), signal.SIGKILL)
            for f in tmpdir.iterdir():
                shutil.rmtree(f, ignore_errors=True)
        rerun = subprocess.run(faqkb, cwd=work, env=env, capture_output=True, text=True, timeout=900)
        temps = [p.name for p in work.iterdir() if p.name.startswith(".site")]
        print(f"interrupted builds: {len(trials) - bad} of {len(trials)} left nothing behind; rerun exit "
              f"{rerun.returncode}; temporary folders after it: {len(temps)} (target: all, 0, 0)")
        return 0 if bad == 0 and rerun.returncode == 0 and not temps else 1


if __name__ == "__main__":
    sys.exit(main())
