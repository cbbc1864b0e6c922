"""The page's JSON and our types: channels by name, messages and commands in, stored
messages out as the page draws them."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from core_agent.types import Artifact, StoredMessage

PLATFORM = "web"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
Payload = dict[str, Any]


class Send(BaseModel):
    """A message from the page: text, uploads by id, who wrote it, and the files (by
    handle) or the message (by id) it replies to, which its request works on."""

    text: str = ""
    author: str = Field("guest", min_length=1, max_length=40)
    uploads: list[str] = Field(default_factory=list, max_length=10)
    replying_to: list[str] = Field(default_factory=list, max_length=10)  # files' handles
    replying_to_message: str | None = Field(None, max_length=64)  # a message's id


class Typed(BaseModel):
    """A command typed in the message box ("/voice on")."""

    text: str = Field(max_length=200)


class Voice(BaseModel):
    """Voice replies on or off."""

    on: bool


def channel_id(name: str) -> str | None:
    """The channel a page names, None if the name is not a channel name."""
    return f"{PLATFORM}:{name}" if CHANNEL_NAME.match(name) else None


def channel_name(channel_id: str) -> str:
    """What the page calls a channel."""
    return channel_id.removeprefix(f"{PLATFORM}:")


def media_url(channel_id: str, handle: str) -> str:
    """Where the page fetches an artifact: by channel and handle, never by path."""
    return f"/api/channels/{channel_name(channel_id)}/media/{handle}"


def shown(channel_id: str, row: StoredMessage, media: list[Artifact]) -> Payload:
    """A stored message as the page draws it."""
    return {
        "id": row.id, "role": row.role, "author": row.author, "text": row.text,
        "error_code": row.error_code, "at": row.created_at.isoformat(),
        "media": [{"handle": a.handle, "kind": a.kind.value, "mime": a.mime, "label": a.label,
                   "duration": a.duration, "url": media_url(channel_id, a.handle)}
                  for a in media],
    }
