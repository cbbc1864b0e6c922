"""Take from Discord's OpenAPI description of its HTTP API (discord/discord-api-spec, MIT) what
the tests' Discord stand-in checks requests against: the routes the bot calls, the schema of
each one's JSON body (or payload_json) and every schema those refer to.

    python scripts/extract_discord_spec.py path/to/openapi.json

writes tests/stand_ins/specs/discord_routes.json with the spec's version, the source file's
SHA-256 and Discord's licence (the LICENSE file beside the spec). Two adjustments make the
schemas say what the server does; the output lists them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().parent.parent / "tests/stand_ins/specs/discord_routes.json"
SOURCE = "https://github.com/discord/discord-api-spec (specs/openapi.json)"

# The operations the bot calls (discord.py's login, command sync, messages and interactions).
OPERATIONS = (
    "get_my_user", "get_my_oauth2_application",
    "bulk_set_application_commands", "bulk_set_guild_application_commands",
    "create_interaction_response", "execute_webhook", "update_original_webhook_message",
    "create_message", "update_message", "delete_message", "trigger_typing_indicator",
)
SNOWFLAKE = "#/components/schemas/SnowflakeType"
BOT_CONTENT_LIMIT = 2000  # characters; the docs' limit for a message's content
ADJUSTMENTS = [
    "SnowflakeType also takes a non-negative integer: the server accepts snowflakes as numbers,"
    " and discord.py sends message_reference ids and attachment ids that way.",
    f"content of MessageCreateRequest and MessageEditRequestPartial is held to"
    f" {BOT_CONTENT_LIMIT} characters, the documented limit; the schema's 4000 is the ceiling"
    " for Nitro users.",
]
Json = dict[str, Any]


def refs(node: Any, schemas: Json, found: set[str]) -> None:
    """Collect the names of every schema `node` refers to, directly or through others."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in found:
                found.add(name)
                refs(schemas[name], schemas, found)
        for value in node.values():
            refs(value, schemas, found)
    elif isinstance(node, list):
        for value in node:
            refs(value, schemas, found)


def pattern(path: str, parameters: list[Json]) -> str:
    """The path as a regular expression: snowflakes are digits, other parameters one segment."""
    snowflakes = {p["name"] for p in parameters if p.get("schema", {}).get("$ref") == SNOWFLAKE}
    parts = re.split(r"(\{\w+\})", path)
    return "".join(
        (r"\d+" if part[1:-1] in snowflakes else "[^/]+") if part.startswith("{")
        else re.escape(part) for part in parts)


def extract(spec: Json) -> Json:
    """The routes, their body schemas and the schemas they need."""
    schemas = spec["components"]["schemas"]
    routes: list[Json] = []
    needed: set[str] = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters" or operation["operationId"] not in OPERATIONS:
                continue
            content = operation.get("requestBody", {}).get("content", {})
            body = content.get("application/json", {}).get("schema")
            refs(body, schemas, needed)
            routes.append({"operation": operation["operationId"], "method": method.upper(),
                           "path": path, "pattern": pattern(path, item.get("parameters", [])),
                           "body": body, "multipart": "multipart/form-data" in content})
    missing = set(OPERATIONS) - {r["operation"] for r in routes}
    if missing:
        raise SystemExit(f"not in this spec: {', '.join(sorted(missing))}")
    kept = {name: schemas[name] for name in sorted(needed)}
    kept["SnowflakeType"] = {"oneOf": [schemas["SnowflakeType"],
                                       {"type": "integer", "minimum": 0}]}
    for name in ("MessageCreateRequest", "MessageEditRequestPartial"):
        kept[name]["properties"]["content"]["maxLength"] = BOT_CONTENT_LIMIT
    return {"source": SOURCE, "title": spec["info"]["title"],
            "api_version": spec["info"]["version"],
            "adjustments": ADJUSTMENTS, "routes": routes, "components": {"schemas": kept}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spec", type=Path, help="Discord's openapi.json")
    args = parser.parse_args()
    raw = args.spec.read_bytes()
    extracted = extract(json.loads(raw))
    extracted["source_sha256"] = hashlib.sha256(raw).hexdigest()
    extracted["licence"] = (args.spec.parent / "LICENSE").read_text().strip()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(extracted, indent=1, sort_keys=False) + "\n")
    print(f"{OUTPUT}: {len(extracted['routes'])} routes, "
          f"{len(extracted['components']['schemas'])} schemas")


if __name__ == "__main__":
    main()
