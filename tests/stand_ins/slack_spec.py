"""Slack's Web API rules for a call, from python-slack-sdk's own method signatures (MIT,
extracted into specs/slack_methods.json by scripts/extract_slack_spec.py) and the limits and
errors Slack's method reference documents: the stand-in answers a call that breaks them as
Slack does, {"ok": false, "error": ...}.

Checked: the method exists, each argument the SDK requires is there (an empty one counts as
missing, as on Slack), a message's text is under 40,000 characters, an upload's length is
between 1 byte and Slack's 1 GB a file. Arguments the SDK doesn't name are ignored, as Slack
ignores them; argument types are not checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SPEC: dict[str, Any] = json.loads(
    (Path(__file__).parent / "specs" / "slack_methods.json").read_text())
VERSION: str = SPEC["slack_sdk_version"]
AUTH = ("token", "app_token")  # the SDK sends these as the Authorization header
TEXT_CHARS = 40_000  # a message's text; "Provide no more than 40,000 characters"
FILE_BYTES = 1 << 30  # Slack's 1 GB limit on one file
TEXT_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
CONTENT = ("text", "blocks", "attachments", "markdown_text")  # any one makes a message
# A missing argument Slack reports with the method's own error, not invalid_arguments.
MISSING = {"channel": "channel_not_found", "channel_id": "channel_not_found",
           "file": "file_not_found"}
# The methods whose reference documents each refusal of a channel the app can't use.
CHANNEL_REFUSALS = {
    "not_in_channel": ("chat.postMessage", "chat.postEphemeral", "files.completeUploadExternal"),
    "is_archived": ("chat.postMessage", "chat.postEphemeral", "reactions.add"),
}


def known(method: str) -> bool:
    """Whether the Web API has the method (Slack answers unknown_method otherwise)."""
    return method in SPEC["methods"]


def channel_refusal(method: str, params: dict[str, Any], refused: dict[str, str]) -> str | None:
    """The error for a call naming a channel the app can't use (`refused`: channel -> why:
    channel_not_found, not_in_channel or is_archived), where the method documents it."""
    why = refused.get(params.get("channel") or params.get("channel_id") or "")
    if why is None or (why != "channel_not_found" and method not in CHANNEL_REFUSALS[why]):
        return None
    return why


def refusal(method: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's error answer to this call of a known method, or None when it breaks no rule."""
    for name in SPEC["methods"][method]["required"]:
        if name not in AUTH and params.get(name) in (None, ""):
            if name in MISSING:
                return {"error": MISSING[name]}
            return {"error": "invalid_arguments", "response_metadata": {
                "messages": [f"[ERROR] missing required field: {name}"]}}
    if method in TEXT_METHODS:
        if not any(params.get(name) for name in CONTENT):
            return {"error": "no_text"}
        if len(str(params.get("text") or "")) > TEXT_CHARS:
            return {"error": "msg_too_long"}
    if method == "files.getUploadURLExternal":
        length = int(params["length"]) if str(params["length"]).isdigit() else -1
        if length < 0:
            return {"error": "invalid_arguments"}
        if length == 0:  # "Typically only occurs when the length provided is 0."
            return {"error": "missing_argument"}
        if length > FILE_BYTES:  # the documented error for an upload over the size allowed
            return {"error": "file_upload_size_restricted"}
    return None
