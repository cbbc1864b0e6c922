"""The Bot API's rules for a request, from the official spec (extracted into
specs/telegram_methods.json by scripts/extract_telegram_spec.py): the stand-in refuses what
breaks them with the answer the real server gives, so a call Telegram would refuse fails in
the tests too.

Checked: the method exists (method names are case-insensitive, as on Telegram), each required
parameter is there, each value has a type the spec allows (an object or array sent as JSON
is checked field by field one level down), an enumerated value is one of its choices.
Parameters the spec doesn't name are ignored, as Telegram ignores them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

SPEC: dict[str, Any] = json.loads(
    (Path(__file__).parent / "specs" / "telegram_methods.json").read_text())
VERSION: str = SPEC["version"]
CANONICAL = {name.lower(): name for name in SPEC["all_methods"]}
INTEGER = re.compile(r"-?\d+")
BOOLEANS = ("true", "false", "1", "0")


def method_name(requested: str) -> str | None:
    """The method as the spec spells it, or None when the Bot API has no such method."""
    return CANONICAL.get(requested.lower())


def refusal(method: str, params: dict[str, str], files: Collection[str]) -> str | None:
    """Why Telegram answers 400 to this call of a (known) method, or None."""
    for name, rule in SPEC["methods"][method].items():
        given = params.get(name, "")
        if name in files and "InputFile" in rule["types"]:
            continue
        if given == "":  # Telegram reads an empty parameter as a missing one
            if rule["required"]:
                return _missing(name, rule)
            continue
        if name == "chat_id" and not (INTEGER.fullmatch(given) or given.startswith("@")):
            return "Bad Request: chat not found"  # neither an id nor an @username
        if not any(_fits_text(given, kind, files) for kind in rule["types"]):
            return f'Bad Request: parameter "{name}" must be {" or ".join(rule["types"])}'
        if given not in rule.get("enum", [given]):
            return f"Bad Request: wrong parameter {name} in request"
    return None


def _missing(name: str, rule: dict[str, Any]) -> str:
    if name == "chat_id":
        return "Bad Request: chat_id is empty"
    if name == "text":
        return "Bad Request: message text is empty"
    if "InputFile" in rule["types"]:
        return f"Bad Request: there is no {name.replace('_', ' ')} in the request"
    return f'Bad Request: parameter "{name}" is required'


def _fits_text(text: str, kind: str, files: Collection[str]) -> bool:
    """Whether a form value is of the kind: plain text for strings and numbers, JSON for
    objects and arrays, attach://<part> for an uploaded file."""
    if kind == "String":
        return True
    if kind == "Integer":
        return bool(INTEGER.fullmatch(text))
    if kind == "Float":
        return _is_float(text)
    if kind == "Boolean":
        return text in BOOLEANS
    if kind == "InputFile":
        return text.startswith("attach://") and text.removeprefix("attach://") in files
    try:
        return _fits(json.loads(text), kind)
    except json.JSONDecodeError:
        return False


def _fits(value: Any, kind: str) -> bool:
    """Whether a JSON value is of the kind."""
    if kind.startswith("Array of "):
        return isinstance(value, list) and all(_fits(v, kind.removeprefix("Array of "))
                                               for v in value)
    plain = {"String": str, "Integer": int, "Float": int | float, "Boolean": bool}
    if kind in plain:
        return isinstance(value, plain[kind]) and (kind == "Boolean") == isinstance(value, bool)
    if not isinstance(value, dict):
        return False
    return all((value.get(name) is None and not rule["required"])
               or any(_fits(value.get(name), k) for k in rule["types"])
               for name, rule in SPEC["types"].get(kind, {}).items())


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
