"""The full schema-driven mutation sweep over every shipped entry (the test runs a sample).

Prints how many mutants were tried, how many crashed (anything but a ContentError) and how
many were refused with a problem more than a line away from the cause; exits 1 if any.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.mutants import Sweep, stand_in_faq, sweep  # noqa: E402


def main() -> int:
    faq_src = ROOT / "docs" / "faq"
    entries = sorted(faq_src.glob("[!_]*.yml"))
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faqkb-mutants-") as tmp:
        faq = Path(tmp) / "faq"
        stand_in_faq(faq_src, faq)
        result = Sweep()
        for src in entries:
            sweep(src.read_text(), faq / src.name, ROOT / "snippets", into=result)
    for line in result.crashes + result.misplaced:
        print(line)
    print(f"mutation sweep: {result.tried} mutants of {len(entries)} entries in "
          f"{time.monotonic() - start:.0f} s; {len(result.crashes)} crashed, "
          f"{len(result.misplaced)} misplaced (target 0 and 0)")
    return 1 if result.crashes or result.misplaced else 0


if __name__ == "__main__":
    sys.exit(main())
