"""Template data for one entry, one command and one httpd block, computed here rather
than in Jinja, so templates only place what these views say."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from faqkb import placeholders
from faqkb.model import HTTPD_SCENARIO, Command, Entry, Expect, KnowledgeBase, When, version_words
from faqkb.render.links import Urls, link_entries
from faqkb.render.markdown import FOLD_AT, clip, excerpt, fence, first_sentence, md_inline
from faqkb.results import FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult
from faqkb.run.redact import redact
from faqkb.run.shellwords import PS2, with_prompts
from faqkb.tlsserver.scenarios import shown_names
from faqkb.verify.tools import label

#: The mark of a command that fails on purpose and did fail as expected (a CSS class word).
REPRODUCED = "reproduced"


def _shown_output(cmd: Command, res: CommandResult | None) -> str:
    if res is None or cmd.show == "none":
        return ""
    text = {"both": res.combined, "stdout": res.stdout, "stderr": res.stderr}[cmd.show]
    return clip(text) if text.strip() else ""  # keys: redacted by the runner


def _mark(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> tuple[str, str, str]:
    """The status (``passed``, ``reproduced``, ``failed`` or ``unverified``, the mark's CSS
    class), the HTML text of the one short line under a command, and its tooltip (the tools
    it ran and the date, which the entry's own line says once for all its commands)."""
    if res is None or er is None:
        return UNVERIFIED, "Not verified: this command was not run in this build.", ""
    if res.status == UNVERIFIED:
        return UNVERIFIED, html.escape(f"Not verified: {res.reason or 'it could not be run here'}."), ""
    if res.status == FAILED:
        first = res.failures[0] if res.failures else "unknown failure"
        # A snapshot's diff spans lines: each on its own, on one physical line of HTML (a blank
        # line would end the HTML block in Markdown), its runs of spaces kept.
        lines = [html.escape(ln) for ln in f"Verification FAILED: {first}".split("\n")]
        return FAILED, "<br>".join(_keep_spaces(ln) for ln in lines), ""
    # What was checked, as short items rather than a sentence: a reader skims 70 of these on
    # a page. The exit status is the real one (a cached result keeps it).
    ex, case = applied(cmd, er)
    failing = ex.exit != 0
    code = res.exit_code if res.exit_code is not None else ex.exit
    items = [f"exit {html.escape(str(code))}"]
    patterns = len(ex.stdout + ex.stderr + ex.output + ex.stdout_not + ex.stderr_not + ex.output_not)
    items += [_count(patterns, "pattern"), _count(len(ex.files), "file"),
              _count(len(ex.server_log + ex.server_log_not), "server-log line")]
    if cmd.snapshot is not None:
        items.append("snapshot")
    if case is not None:
        items.append(html.escape(f"the case for {_case_words(case)}"))
    if cmd.scenario == HTTPD_SCENARIO:
        items.append("against the httpd configuration above")
    elif cmd.scenario:
        items.append(f"server scenario <code>{html.escape(cmd.scenario)}</code>")
    # Only the tools this command really ran (the cache keeps which), with their versions.
    tools = _tools(er, res.tools)
    if res.also:  # it passed with other versions too (make matrix): name them all in the mark
        tools = _versions(er, res)
        items.append(html.escape(f"passed with {_and(tools)}"))
    title = html.escape((f"with {_and(tools)}, " if tools else "") + f"on {er.date}", quote=True)
    what = "Reproduces the error" if failing else "Verified"
    return (REPRODUCED if failing else PASSED), f"{what}: " + " · ".join(i for i in items if i), title


def applied(cmd: Command, er: EntryResult | None) -> tuple[Expect, When | None]:
    """The expectations ``cmd`` was checked against in the run of ``er`` (its tool versions
    choose an ``expect.when`` case), and that case, if one applied."""
    return cmd.expect.for_versions(er.tools if er is not None else {})


def _case_words(case: When) -> str:
    """``OpenSSL 3.5 and later``: the versions a case is for, as a reader says them."""
    return _and([f"{label(name)} {version_words(cond)}" for name, cond in case.versions])


def _differs(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> list[dict[str, Any]]:
    """One Markdown line per ``expect.when`` case: for which versions, what differs then, and
    the versions it passed with (this run's, or another's of ``make matrix``: ``res.also``)."""
    _, case = applied(cmd, er)
    runs: list[dict[str, str]] = []
    if er is not None and res is not None and res.ok:
        runs = [er.tools, *({**er.tools, **other} for other in res.also)]
    out = []
    for w in cmd.expect.when:
        proven = [f"{label(n)} {run[n]}" for run in runs if w.holds(run)
                  for n, _ in w.versions if run.get(n)]
        shown = " " + md_inline(f"(verified with {_and(list(dict.fromkeys(proven)))})") if proven else ""
        out.append({"text": f"**With {md_inline(_case_words(w))}:** {w.says.strip()}{shown}",
                    "applied": w is case})
    return out


def _tools(er: EntryResult, names: list[str]) -> list[str]:
    """``OpenSSL 3.0.19``... for the tool ``names`` whose version this run read, in order."""
    return [f"{label(n)} {er.tools[n]}" for n in dict.fromkeys(names) if er.tools.get(n)]


def _versions(er: EntryResult, res: CommandResult) -> list[str]:
    """``OpenSSL 3.0.19 and 3.5.7``... : each tool of ``res`` with every version it passed with,
    this run's first, then those of its other runs (``res.also``)."""
    out = []
    for n in dict.fromkeys(res.tools):
        seen = [v for v in dict.fromkeys([er.tools.get(n, ""), *(a.get(n, "") for a in res.also)]) if v]
        if seen:
            out.append(f"{label(n)} {_and(seen)}")
    return out


def entry_mark(e: Entry, er: EntryResult | None) -> tuple[str, str]:
    """The status and the HTML text of the entry's one line on its commands: how many, checked
    with which tools and when, and how they came out."""
    if er is None or not e.commands:
        return UNVERIFIED, ""
    done = {c.index: c for c in er.commands}
    results = [done.get(i) for i in range(len(e.commands))]
    ok = [i for i, r in enumerate(results) if r is not None and r.ok]
    reproduced = sum(1 for i in ok if applied(e.commands[i], er)[0].exit != 0)
    failed = sum(1 for r in results if r is not None and r.status == FAILED)
    unverified = len(results) - len(ok) - failed
    counts = [f"{len(ok) - reproduced} verified" if len(ok) > reproduced else "",
              f"{reproduced} reproduce{'s' if reproduced == 1 else ''} an error on purpose"
              if reproduced else "",
              f"{failed} FAILED" if failed else "", f"{unverified} not verified" if unverified else ""]
    n = len(e.commands)
    tools = _tools(er, [t for r in results if r is not None and r.ok for t in r.tools])
    passed = [r for r in results if r is not None and r.ok]
    if any(r.also for r in passed):  # make matrix: each tool with every version some command passed with
        merged = CommandResult(index=-1, status=PASSED, tools=[t for r in passed for t in r.tools],
                               also=[a for r in passed for a in r.also])
        tools = _versions(er, merged)
    with_tools = f" with {_and(tools)}" if tools else ""
    status = FAILED if failed else UNVERIFIED if unverified else PASSED
    counted = ", ".join(c for c in counts if c)
    text = f"{n} command{'' if n == 1 else 's'} checked{with_tools} on {er.date}: {counted}."
    return status, html.escape(text)


def _count(n: int, noun: str) -> str:
    """``1 file``, ``2 files``; empty for none."""
    return "" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")


def _matched_lines(ex: Expect, output: str, patterns: Sequence[str] | None = None) -> set[int]:
    """The indexes of the lines of ``output`` that the output patterns of ``ex`` (or
    ``patterns``) matched: the evidence a folded block keeps in view."""
    lines: set[int] = set()
    for pattern in [*ex.stdout, *ex.stderr, *ex.output] if patterns is None else patterns:
        try:
            found = list(re.finditer(pattern, output, re.MULTILINE))
        except re.error:  # checked when the entry was loaded; nothing to show if not
            continue
        for m in found:
            first = output.count("\n", 0, m.start())
            last = output.count("\n", 0, max(m.start(), m.end() - 1))
            lines.update(range(first, last + 1))
    return lines


def _and(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _stock_lexer_will_do(block: str) -> bool:
    """True when Pygments' own console lexer reads ``block``'s prompts right: each ``> `` line
    follows a line ending in a backslash."""
    lines = block.split("\n")
    return all(not ln.startswith(PS2) or lines[i - 1].endswith("\\")
               for i, ln in enumerate(lines) if i and ln.startswith(PS2))


def _keep_spaces(line: str) -> str:
    """``line`` with its leading spaces and inner runs of spaces shown as typed in HTML."""
    body = line.lstrip(" ")
    return "&nbsp;" * (len(line) - len(body)) + body.replace("  ", " &nbsp;")


def command_view(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> dict[str, Any]:
    """Everything the template needs for one command, computed here rather than in Jinja."""
    shown = placeholders.for_page(cmd.run, shown_names(cmd.scenario)).rstrip("\n")
    block = with_prompts(shown)  # `$ ` for each new command line, `> ` where bash continues one
    # The stock console lexer only knows `> ` after a trailing backslash; faqkb's own
    # (faqkb.integrations.console_lexer) knows every continuation bash prompts for.
    lexer = "console" if _stock_lexer_will_do(block) else "faqkb-console"
    output = _shown_output(cmd, res)
    server_log = res.server_log if res is not None else ""
    # What site search indexes of this transcript: the command and the lines its expectations
    # matched (the error lines a reader pastes), not the whole output.
    out_lines, log_lines = output.split("\n"), server_log.split("\n")
    expect = applied(cmd, er)[0]
    evidence = [shown, *(out_lines[i] for i in sorted(_matched_lines(expect, output))),
                *(log_lines[i] for i in sorted(_matched_lines(expect, server_log, expect.server_log)))]
    # Long output is folded: the block keeps its first lines and the lines the expectations
    # matched; the whole output is one click away (a <details>), saying how much is hidden.
    full_output, fold_summary = "", ""
    if output.count("\n") + 1 > FOLD_AT:
        shown_lines, hidden = excerpt(output, _matched_lines(expect, output))
        if hidden:
            full_output = output
            total = output.count("\n") + 1
            fold_summary = f"Show all {total} lines of output ({hidden} hidden above)"
            output = shown_lines
    if output:
        block += "\n" + output
    status, mark, mark_title = _mark(cmd, res, er)
    stdin = cmd.stdin.rstrip("\n").replace("\r", "") if cmd.stdin else ""
    return {
        "title": cmd.title,
        "env": [f"{name}={value}" for name, value in cmd.env],
        "block": block,
        "lexer": lexer,
        "stdin": stdin,
        "server_log": server_log,
        "note": cmd.note,
        "differs": _differs(cmd, res, er),
        "status": status,
        "mark": mark,
        "mark_title": mark_title,
        "fence": fence(block, stdin, server_log, full_output),
        "full_output": full_output,
        "fold_summary": fold_summary,
        "evidence": [ln for ln in evidence if ln.strip()],
    }


def httpd_view(e: Entry, er: EntryResult | None) -> dict[str, Any] | None:
    """The configuration a reader writes, and whether a real httpd loaded it in this build."""
    if e.httpd is None:
        return None
    config = redact(e.httpd.config.strip("\n"))
    files = [
        {"name": name, "content": redact(content.rstrip("\n")),
         "lang": "bash" if content.startswith("#!") and "sh" in content.split("\n")[0] else "text"}
        for name, content in e.httpd.files
    ]
    httpd_cmds = [c for c in (er.commands if er else []) if e.commands[c.index].scenario == HTTPD_SCENARIO]
    on_purpose = bool(httpd_cmds) and all(applied(e.commands[c.index], er)[0].exit != 0
                                          for c in httpd_cmds)
    if er and httpd_cmds and all(c.ok for c in httpd_cmds) and on_purpose:
        # Every command against it fails, as the entry says: a broken example, not advice.
        status = REPRODUCED
        mark = ("httpd refuses this, on purpose (do not copy it): the commands below show the error"
                f" ({er.date}).")
    elif er and httpd_cmds and all(c.ok for c in httpd_cmds):
        status = PASSED
        version = f" {er.tools['httpd']}" if er.tools.get("httpd") else ""
        mark = f"Run in Apache httpd{version} on {er.date}: the commands below show what it does."
    elif er and httpd_cmds and any(c.status == UNVERIFIED and not c.excused for c in httpd_cmds):
        status, mark = UNVERIFIED, "Not verified: no Apache httpd was available in this build."
    elif er and httpd_cmds and not any(c.status == FAILED for c in httpd_cmds):
        status, mark = UNVERIFIED, "Not verified: a program the commands below require is not installed here."
    elif er and httpd_cmds:
        status, mark = FAILED, "Verification FAILED with this configuration (see the commands below)."
    else:
        status, mark = UNVERIFIED, "Not verified in this build."
    return {"config": config, "modules": list(e.httpd.modules), "files": files,
            "fence": fence(config, *(f["content"] for f in files)), "status": status, "mark": mark}




def entry_view(
    kb: KnowledgeBase, e: Entry, er: EntryResult | None, anchors: dict[str, str]
) -> dict[str, Any]:
    """Template data for one entry; ``anchors`` are the old anchors and who carries them."""
    urls = Urls(kb)
    results = {c.index: c for c in er.commands} if er else {}
    section = kb.section_of(e)
    return {
        "id": e.id,
        "url": urls.entry(e.id),
        "section": {"id": section.id, "title": section.title, "url": urls.section(section.id)},
        "question": e.question,
        # Plain text: the page's meta description and its line in the lists of questions.
        "description": first_sentence(e.answer),
        "answer": link_entries(kb, e, e.answer.strip()),
        "then_and_now": link_entries(kb, e, (e.then_and_now or "").strip()),
        "aliases": list(e.aliases),
        "tags": list(e.tags),
        "legacy": e.legacy,
        "extra_anchors": [ref for ref, owner in anchors.items() if owner == e.id],
        "see_also": [
            {"url": urls.entry(s), "question": kb.entries[s].question} for s in e.see_also
        ],
        "env": [f"{name}={value}" for name, value in e.env],
        "commands": [{**view, "note": link_entries(kb, e, view["note"])} if view["note"] else view
                     for view in (command_view(c, results.get(i), er) for i, c in enumerate(e.commands))],
        "httpd": httpd_view(e, er),
        "summary": dict(zip(("status", "text"), entry_mark(e, er), strict=True)),
    }
