"""Take from python-slack-sdk (MIT, Slack Technologies) what the tests' Slack stand-in checks
Web API calls against: for every method AsyncWebClient calls, the API method's name, its
required and optional arguments as the SDK's signature has them, and how the SDK sends them
(query string, JSON, form or multipart). Slack publishes no current machine-readable spec;
the SDK's signatures are the closest one, kept in step with the API by Slack itself.

    python scripts/extract_slack_spec.py

reads the installed slack_sdk's source (no network, nothing imported from it but its
version) and writes tests/stand_ins/specs/slack_methods.json; run it again after upgrading
slack-sdk.
"""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "tests/stand_ins/specs/slack_methods.json"
SOURCE = "https://github.com/slackapi/python-slack-sdk (slack_sdk/web/async_client.py)"


def sent_as(call: ast.Call) -> str:
    """How one api_call sends its arguments: a body keyword decides, else the query string."""
    keywords = {k.arg for k in call.keywords}
    if "files" in keywords:
        return "multipart"
    if "json" in keywords:
        return "json"
    return "form" if "data" in keywords else "query"


def method_entry(function: ast.AsyncFunctionDef) -> tuple[str, dict[str, Any]] | None:
    """The API method one client method calls, with its arguments; None for helpers that
    call others (files_upload_v2, chat_stream)."""
    calls = [node for node in ast.walk(function) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute) and node.func.attr == "api_call"]
    if not calls or not isinstance(first := calls[0].args[0], ast.Constant):
        return None
    args = function.args
    positional = args.args[1:]  # after self
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = [*zip(positional, defaults, strict=True),
             *zip(args.kwonlyargs, args.kw_defaults, strict=True)]
    return str(first.value), {
        "sdk_method": function.name,
        "required": [a.arg for a, default in pairs if default is None],
        "optional": [a.arg for a, default in pairs if default is not None],
        "sent_as": sorted({sent_as(c) for c in calls}),
        "http_verb": next((k.value.value for c in calls for k in c.keywords
                           if k.arg == "http_verb" and isinstance(k.value, ast.Constant)),
                          "POST"),
    }


def extract(source: str) -> dict[str, dict[str, Any]]:
    """Every API method AsyncWebClient calls, by name."""
    client = next(node for node in ast.parse(source).body
                  if isinstance(node, ast.ClassDef) and node.name == "AsyncWebClient")
    entries = (method_entry(f) for f in client.body if isinstance(f, ast.AsyncFunctionDef))
    return dict(sorted(entry for entry in entries if entry is not None))


def main() -> None:
    spec = importlib.util.find_spec("slack_sdk")
    assert spec is not None and spec.origin is not None, "slack_sdk is not installed"
    package = Path(spec.origin).parent
    distribution = importlib.metadata.distribution("slack_sdk")
    licence = next(f for f in distribution.files or [] if f.name == "LICENSE")
    methods = extract((package / "web" / "async_client.py").read_text())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "source": f"extracted from {SOURCE} by scripts/extract_slack_spec.py",
        "slack_sdk_version": distribution.version,
        "licence": Path(str(licence.locate())).read_text().strip(),
        "methods": methods}, indent=1) + "\n")
    print(f"{OUT.name}: {len(methods)} methods from slack_sdk {distribution.version}")


if __name__ == "__main__":
    main()
