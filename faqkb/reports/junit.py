"""JUnit XML for doc CI: one test case per verified command, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from faqkb import placeholders
from faqkb.model import KnowledgeBase
from faqkb.results import FAILED, UNVERIFIED, EntryResult


def junit_xml(kb: KnowledgeBase, results: dict[str, EntryResult], seconds: float) -> bytes:
    """A ``<testsuites>`` document: a suite per entry, a case per command."""
    root = ET.Element("testsuites", name="faqkb verify", time=f"{seconds:.3f}")
    for entry_id, er in results.items():
        entry = kb.entries[entry_id]
        bad = [c for c in er.commands if c.status in (FAILED, UNVERIFIED)]
        suite = ET.SubElement(root, "testsuite", name=entry_id, tests=str(len(er.commands)),
                              failures=str(len(bad)), errors="0", skipped="0",
                              time=f"{sum(c.seconds for c in er.commands):.3f}",
                              file=str(entry.path))
        for c in er.commands:
            cmd = entry.commands[c.index]
            first = placeholders.for_page(cmd.run).splitlines()[0]
            case = ET.SubElement(suite, "testcase", classname=f"faqkb.{entry_id}",
                                 name=f"command {c.index + 1}: {first}", time=f"{c.seconds:.3f}",
                                 file=str(entry.path), line=str(cmd.line))
            if c.status in (FAILED, UNVERIFIED):
                why = c.failures or [c.reason or c.status]
                failure = ET.SubElement(case, "failure", type=c.status, message=why[0].split("\n")[0])
                failure.text = "\n".join(why)
            if c.combined:
                ET.SubElement(case, "system-out").text = c.combined
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def write_junit(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file, so CI never reads half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
