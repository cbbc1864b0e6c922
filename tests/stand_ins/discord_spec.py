"""Discord's own description of the routes the bot calls, taken from its OpenAPI spec (MIT,
Copyright 2023 Discord) by scripts/extract_discord_spec.py into specs/discord_routes.json,
and the errors Discord gives a body that breaks it.

`form_errors` answers in the shape of a 400 "Invalid Form Body" (code 50035): each field's
path, then `_errors` with Discord's code and wording for the common rules (a required field,
a length, a type, a snowflake, a choice); another rule carries its schema keyword.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

SPEC = json.loads((Path(__file__).parent / "specs" / "discord_routes.json").read_text())
Json = dict[str, Any]
TYPE_ERRORS = {  # the first non-null type a field takes -> Discord's code and wording
    "integer": ("NUMBER_TYPE_COERCE", 'Value "{value}" is not int.'),
    "number": ("NUMBER_TYPE_COERCE", 'Value "{value}" is not a valid number.'),
    "boolean": ("BASE_TYPE_BOOLEAN", "Must be either true or false."),
    "string": ("STRING_TYPE_CONVERT", 'Could not interpret "{value}" as string.'),
    "object": ("MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType"),
    "array": ("LIST_TYPE_CONVERT", "Only iterables may be used in a ListType"),
}


@dataclass(frozen=True)
class Route:
    """One operation of the API: where it lives and what its body must be."""

    operation: str
    method: str
    path: str  # as the spec writes it: /channels/{channel_id}/messages
    pattern: re.Pattern[str]
    body: Draft202012Validator | None

    def form_errors(self, body: Any) -> Json:
        """Discord's `errors` object for what in `body` breaks the schema; empty when nothing."""
        errors: Json = {}
        if self.body is None:
            return errors
        for error in self.body.iter_errors(body):
            for leaf in _leaves(error):
                for path, entry in _entries(leaf):
                    node = errors
                    for key in path:
                        node = node.setdefault(str(key), {})
                    if entry not in node.setdefault("_errors", []):
                        node["_errors"].append(entry)
        return errors


def _validator(schema: Json | None) -> Draft202012Validator | None:
    if schema is None:
        return None
    return Draft202012Validator({**schema, "components": SPEC["components"]})


ROUTES = [Route(r["operation"], r["method"], r["path"], re.compile(r["pattern"]),
                _validator(r["body"])) for r in SPEC["routes"]]


def routes_at(path: str) -> list[Route]:
    """The operations a path (without the /api/v10 prefix) names, whatever their method."""
    return [r for r in ROUTES if r.pattern.fullmatch(path)]


def _leaves(error: ValidationError) -> Iterator[ValidationError]:
    """The errors worth naming: inside a oneOf or anyOf, those of the alternative the caller
    meant: one that takes a value of this kind and whose fixed fields (a `type` of 4 or 5)
    match, with the fewest complaints, the deepest."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        yield error
        return
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    kinds = [subs for subs in branches.values() if not any(
        s.validator in ("enum", "const") or (s.validator == "type" and not s.relative_path)
        for s in subs)]
    closest = min(kinds or branches.values(),
                  key=lambda subs: (len(subs), -max(len(s.relative_path) for s in subs)))
    for sub in closest:
        yield from _leaves(sub)


def _entries(error: ValidationError) -> Iterator[tuple[Sequence[Any], Json]]:
    """Where in the body each complaint goes, with Discord's code and message."""
    rule, limit, value, path = error.validator, error.validator_value, error.instance, \
        list(error.absolute_path)
    if rule == "required":
        for name in limit:
            if name not in value:
                yield [*path, name], _error("BASE_TYPE_REQUIRED", "This field is required")
        return
    if rule in ("maxLength", "maxItems"):
        code, message = "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
    elif rule in ("minLength", "minItems"):
        code, message = "BASE_TYPE_MIN_LENGTH", f"Must be {limit} or more in length."
    elif rule == "type":
        wanted = [limit] if isinstance(limit, str) else [t for t in limit if t != "null"]
        code, message = TYPE_ERRORS.get(wanted[0] if wanted else "null",
                                        ("BASE_TYPE_INVALID", error.message))
        message = message.format(value=value)
    elif rule == "pattern":
        code, message = "NUMBER_TYPE_COERCE", f'Value "{value}" is not snowflake.'
    elif rule == "enum":
        code, message = "BASE_TYPE_CHOICES", f"Value must be one of {set(limit)}."
    else:
        code, message = f"SCHEMA_{str(rule).upper()}", error.message
    yield path, _error(code, message)


def _error(code: str, message: str) -> Json:
    return {"code": code, "message": message}
