"""Checks of one entry against the published JSON Schema, with readable messages.

jsonschema is imported only when a text really has to be validated: the loader asks
:mod:`faqkb.load.memo` first, so a warm build never pays for it.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from typing import Any

from faqkb._util import did_you_mean
from faqkb.errors import Problem
from faqkb.load import located as yamlsrc


@functools.cache
def entry_schema() -> dict[str, Any]:
    """The published JSON Schema of an entry (``faqkb/schema/entry.schema.json``)."""
    text = resources.files("faqkb").joinpath("schema/entry.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "entry"


def _type_name(value: Any) -> str:
    return {
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "true/false",
        list: "a list",
        dict: "a mapping",
        type(None): "nothing (null)",
    }.get(type(value), type(value).__name__)


def _expected_type(schema: dict[str, Any]) -> str:
    names = {
        "string": "a string",
        "array": "a list",
        "object": "a mapping",
        "integer": "an integer",
        "number": "a number",
        "boolean": "true or false",
    }
    t = schema.get("type")
    if isinstance(t, list):
        return " or ".join(names.get(str(x), str(x)) for x in t)
    return names.get(str(t), str(t))


def schema_problems(doc: yamlsrc.Located) -> list[Problem]:
    """Every way ``doc`` breaks the entry schema, each at its own line and column."""
    import jsonschema  # deferred: only linting and building pay for it

    validator = jsonschema.Draft202012Validator(entry_schema())
    problems: list[Problem] = []
    for err in validator.iter_errors(doc.data):
        path = tuple(err.absolute_path)
        where = _dotted(path)
        v = err.validator
        if v == "additionalProperties":
            allowed = sorted(err.schema.get("properties", {}))
            for extra in sorted(set(err.instance) - set(allowed)):
                fix = did_you_mean(extra, allowed, otherwise=f"allowed: {', '.join(allowed)}")
                problems.append(
                    doc.problem((*path, extra), f"unknown field {where}.{extra}; {fix}", key=True)
                    if path
                    else doc.problem((extra,), f"unknown field {extra!r}; {fix}", key=True)
                )
        elif v == "required":
            missing = re.findall(r"'([^']+)' is a required property", err.message)
            name = missing[0] if missing else err.message
            target = f"{where}.{name}" if path else name
            problems.append(doc.problem(path, f"missing required field {target!r}; add it"))
        elif v == "type":
            # A YAML 1, true or null where a string is wanted: quoting it is the fix.
            hint = "; quote it" if len(path) >= 2 and path[-2] == "env" else ""
            problems.append(
                doc.problem(
                    path,
                    f"{where} must be {_expected_type(err.schema)} "
                    f"(got {_type_name(err.instance)}){hint}",
                )
            )
        elif v == "pattern" and "propertyNames" in err.schema_path:
            problems.append(doc.problem(
                (*path, err.instance), f"{where} name {json.dumps(err.instance)} is not allowed: a "
                "variable name is letters, digits and _, and does not start with a digit", key=True))
        elif v == "pattern" and "requires" in path:
            problems.append(doc.problem(
                path, f"{where} {json.dumps(err.instance)} is not a program name: give the name a "
                "shell looks up on PATH (git, python3), without a directory"))
        elif v == "anyOf" and path and path[-1] == "exit":
            problems.append(
                doc.problem(
                    path,
                    f'{where} must be an integer 0-255 or "nonzero" (got {json.dumps(err.instance)})',
                )
            )
        elif v == "anyOf" and path and path[-1] == "snapshot":
            problems.append(_snapshot_problem(doc, path, where, err.instance))
        elif v == "enum":
            choices = ", ".join(json.dumps(c) for c in err.validator_value)
            problems.append(
                doc.problem(path, f"{where} must be one of {choices} (got {json.dumps(err.instance)})")
            )
        elif v == "pattern":
            problems.append(
                doc.problem(
                    path,
                    f"{where} {json.dumps(err.instance)} is not allowed: use lowercase letters, "
                    "digits and dashes",
                )
            )
        elif v in ("minLength", "minItems"):
            problems.append(doc.problem(path, f"{where} must not be empty"))
        else:
            problems.append(doc.problem(path, f"{where}: {err.message}"))
    return problems


def _snapshot_problem(doc: yamlsrc.Located, path: tuple[str | int, ...], where: str,
                      value: Any) -> Problem:
    """``snapshot`` is true, false or ``{mask: [regex, ...]}``: say which part is wrong."""
    if isinstance(value, dict):
        extra = sorted(k for k in value if k != "mask")
        if extra:
            fix = did_you_mean(str(extra[0]), ["mask"], otherwise="the only field is mask")
            return doc.problem((*path, extra[0]), f"unknown field {where}.{extra[0]}; {fix}", key=True)
        return doc.problem((*path, "mask"), f"{where}.mask must be a list of regular expressions "
                           "(non-empty strings)")
    shown = json.dumps(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return doc.problem(path, f"{where} must be true, false or {{mask: [regex, ...]}} (got {shown})")
