"""The full schema-driven mutation sweep over every shipped entry (the test runs a sample).

Prints how many mutants were tried, how many crashed (anything but a ContentError) and how
many were refused with a problem more than a line away from the cause; exits 1 if any.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faqkb.errors import ContentError  # noqa: E402
from faqkb.load.loader import load_kb  # noqa: E402
from tests.mutants import mutants  # noqa: E402


def main() -> int:
    faq_src = ROOT / "docs" / "faq"
    tried = crashed = misplaced = 0
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faqkb-mutants-") as tmp:
        faq = Path(tmp)
        for side in ("_sections.yml", "_tags.yml"):
            shutil.copy(faq_src / side, faq / side)
        entries = sorted(faq_src.glob("[!_]*.yml"))
        for other in entries:
            (faq / other.name).touch()
        for src in entries:
            target = faq / src.name
            for m in mutants(src.read_text()):
                tried += 1
                target.write_text(m.text)
                try:
                    load_kb(faq, ROOT / "snippets")
                except ContentError as exc:
                    mine = [p for p in exc.problems if p.path == str(target)]
                    if mine and not any(p.line in m.lines for p in mine):
                        misplaced += 1
                        print(f"misplaced {src.stem} {m.label}: {mine[0]}"[:200])
                except Exception as exc:
                    crashed += 1
                    print(f"CRASH {src.stem} {m.label}: {type(exc).__name__}: {exc}"[:200])
            target.write_text("")
    print(f"mutation sweep: {tried} mutants of {len(entries)} entries in {time.monotonic() - start:.0f} s; "
          f"{crashed} crashed, {misplaced} misplaced (target 0 and 0)")
    return 1 if crashed or misplaced else 0


if __name__ == "__main__":
    sys.exit(main())
