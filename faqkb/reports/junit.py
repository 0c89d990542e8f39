"""JUnit XML for doc CI: one test case per verified command, written atomically.

Each case is named ``command N: NAME`` (the command's title, else the whole command, every
line of it: CI lists cases by name, and a first line such as ``cd demo`` tells nothing) and
carries the entry file's path relative to the project root, so reports from different
checkouts compare, and its line; a failure holds the expectations that failed and the tail of
the output; each suite's properties are the versions of the tools its commands used
(``tool.NAME``). A command not run because a required program is missing is ``<skipped>``,
or a failure in a strict run.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from faqkb._util import atomic_write
from faqkb.model import KnowledgeBase
from faqkb.reports.text import command_text, relative_path
from faqkb.results import EntryResult


def junit_xml(kb: KnowledgeBase, results: dict[str, EntryResult], seconds: float, *,
              root: Path, strict: bool = False) -> bytes:
    """A ``<testsuites>`` document: a suite per entry, a case per command; paths relative to
    ``root`` (the project's)."""
    suites = ET.Element("testsuites", name="faqkb verify", time=f"{seconds:.3f}")
    for entry_id, er in results.items():
        entry = kb.entries[entry_id]
        path = relative_path(entry.path, root)
        skipped = [c for c in er.commands if c.excused and not strict]
        bad = [c for c in er.commands if not c.ok and c not in skipped]
        suite = ET.SubElement(suites, "testsuite", name=entry_id, tests=str(len(er.commands)),
                              failures=str(len(bad)), errors="0", skipped=str(len(skipped)),
                              time=f"{sum(c.seconds for c in er.commands):.3f}", file=path)
        if er.tools:  # the versions the commands ran with: what a reader compares with theirs
            props = ET.SubElement(suite, "properties")
            for name, version in sorted(er.tools.items()):
                ET.SubElement(props, "property", name=f"tool.{name}",
                              value=xml_text(version or "not installed"))
        for c in er.commands:
            cmd = entry.commands[c.index]
            case = ET.SubElement(suite, "testcase", classname=f"faqkb.{entry_id}",
                                 name=xml_text(f"command {c.index + 1}: {cmd.title or command_text(cmd)}"),
                                 time=f"{c.seconds:.3f}", file=path, line=str(cmd.line))
            if c in skipped:
                ET.SubElement(case, "skipped", message=xml_text(c.reason))
            elif not c.ok:
                why = c.why
                failure = ET.SubElement(case, "failure", type=c.status,
                                        message=xml_text(why[0].split("\n")[0]))
                failure.text = xml_text("\n".join(why))
            if c.combined:
                ET.SubElement(case, "system-out").text = xml_text(c.combined)  # redacted by the runner
    ET.indent(suites)
    data: bytes = ET.tostring(suites, encoding="utf-8", xml_declaration=True)
    return data


# XML 1.0 allows tab, LF, CR and the rest from U+0020 on (no C0 controls, no surrogates, no
# U+FFFE/FFFF): a colour code in a command's output must not make the report unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 forbids shown as ``\\xNN`` (readable, and valid)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def write_junit(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, so CI never reads half a report."""
    atomic_write(path, data)
