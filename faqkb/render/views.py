"""Template data for one entry, one command and one httpd block, computed here rather
than in Jinja, so templates only place what these views say."""

from __future__ import annotations

import html
from typing import Any

from faqkb import placeholders
from faqkb.model import HTTPD_SCENARIO, Command, Entry, KnowledgeBase
from faqkb.render.links import Urls, link_entries
from faqkb.render.markdown import clip, fence
from faqkb.results import FAILED, PASSED, UNVERIFIED, CommandResult, EntryResult, Status
from faqkb.run.redact import redact
from faqkb.run.shellwords import PS2, with_prompts
from faqkb.tlsserver.scenarios import shown_names
from faqkb.verify.tools import label


def _shown_output(cmd: Command, res: CommandResult | None) -> str:
    if res is None or cmd.show == "none":
        return ""
    text = {"both": res.combined, "stdout": res.stdout, "stderr": res.stderr}[cmd.show]
    return clip(text) if text.strip() else ""  # keys: redacted by the runner


def _mark(cmd: Command, res: CommandResult | None, er: EntryResult | None) -> tuple[Status, str]:
    """The status and the HTML text of the line under a command."""
    if res is None or er is None:
        return UNVERIFIED, "Not verified: this command was not run in this build."
    if res.status == UNVERIFIED:
        return UNVERIFIED, html.escape(f"Not verified: {res.reason or 'it could not be run here'}.")
    if res.status == FAILED:
        first = res.failures[0] if res.failures else "unknown failure"
        # A snapshot's diff spans lines: each on its own, on one physical line of HTML (a blank
        # line would end the HTML block in Markdown), its runs of spaces kept.
        lines = [html.escape(ln) for ln in f"Verification FAILED: {first}".split("\n")]
        return FAILED, "<br>".join(_keep_spaces(ln) for ln in lines)
    if cmd.scenario == HTTPD_SCENARIO:
        target = " against the httpd configuration above"
    elif cmd.scenario:
        target = f" against the reference server&rsquo;s <code>{html.escape(cmd.scenario)}</code> scenario"
    else:
        target = ""
    # Only the tools this command really ran (the cache keeps which), with their versions.
    tools = [html.escape(f"{label(n)} {er.tools[n]}") for n in res.tools if er.tools.get(n)]
    with_tools = f" with {_and(tools)}" if tools else ""
    return PASSED, f"Verified{target}{with_tools} on {er.date}."


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
    if output:
        block += "\n" + output
    status, mark = _mark(cmd, res, er)
    stdin = cmd.stdin.rstrip("\n").replace("\r", "") if cmd.stdin else ""
    server_log = res.server_log if res is not None else ""
    return {
        "title": cmd.title,
        "env": [f"{name}={value}" for name, value in cmd.env],
        "block": block,
        "lexer": lexer,
        "stdin": stdin,
        "server_log": server_log,
        "note": cmd.note,
        "status": status,
        "mark": mark,
        "fence": fence(block, stdin, server_log),
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
    if er and httpd_cmds and all(c.ok for c in httpd_cmds):
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
    return {
        "id": e.id,
        "question": e.question,
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
        "commands": [command_view(c, results.get(i), er) for i, c in enumerate(e.commands)],
        "httpd": httpd_view(e, er),
    }
