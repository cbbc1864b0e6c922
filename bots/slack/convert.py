"""Slack's payloads as our types: threads as conversations, events as turns, mrkdwn both
ways, and users' files fetched with the bot token.

Memory is per thread ("slack:<team>:<channel>:<thread_ts>"): a Slack channel is shared by
many people doing unrelated things, and a thread is what Slack users treat as one
conversation, so handles (a1, a2, …) and "make that slower" stay within it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from core_agent.errors import AttachmentNotTaken
from core_agent.types import Attachment, Message

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
CHUNK = 1 << 16  # bytes read at a time while downloading
DOWNLOAD_TIMEOUT = 120  # seconds for one file


@dataclass(frozen=True)
class Place:
    """A Slack thread: the workspace, the channel (or DM) and the thread's root message."""

    team: str
    channel: str
    thread_ts: str

    @property
    def channel_id(self) -> str:
        """The conversation's id in memory."""
        return f"{PLATFORM}:{self.team}:{self.channel}:{self.thread_ts}"

    @classmethod
    def of(cls, channel_id: str) -> Place:
        """The thread a memory channel id names."""
        _, team, channel, thread_ts = channel_id.split(":")
        return cls(team, channel, thread_ts)

    def message(self, user: str, text: str, *, platform_message_id: str, author: str = "",
                attachments: list[Attachment] | None = None, replied_text: str | None = None
                ) -> Message:
        """A user's turn here, with the ids the allow-lists and quotas read, and the words
        of the post it replies to (the thread's first)."""
        return Message(channel_id=self.channel_id, text=text, author=author or user,
                       platform=PLATFORM, platform_message_id=platform_message_id,
                       user_id=f"{PLATFORM}:user:{user}", attachments=attachments or [],
                       scopes=[f"{PLATFORM}:team:{self.team}",
                               f"{PLATFORM}:channel:{self.channel}"],
                       replied_text=replied_text)


@dataclass(frozen=True)
class Incoming:
    """A person's message for the app, as a listener read it off Slack's payload."""

    place: Place
    user: str
    text: str
    key: str  # Slack's id for the message (its ts, or a command's trigger_id)
    react_ts: str  # the message whose reactions show the turn's state
    author: str = ""
    file_ids: tuple[str, ...] = ()

    @property
    def under_a_post(self) -> bool:
        """Whether it was written in a thread under someone's post (not the thread's first
        message, nor a slash command's thread)."""
        return self.react_ts != self.place.thread_ts


def plain(text: str, bot_user_id: str | None) -> str:
    """Slack's wire text as the user meant it: the bot's mention dropped, links and
    other mentions readable, &amp; &lt; &gt; decoded."""
    text = MENTION.sub(lambda m: "" if m.group(1) == bot_user_id else f"@{m.group(1)}", text)
    text = LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return re.sub(r"[ \t]+", " ", text).strip()


def mrkdwn(text: str) -> str:
    """Our text, escaped the way Slack's mrkdwn needs (nothing becomes a link or a ping)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def incoming(event: dict[str, Any], context: AsyncBoltContext) -> Incoming | None:
    """A person's message as a turn; its ts is Slack's id for it (the same in app_mention
    and message events and in retries), so it is the key repeats are recognised by."""
    if not event.get("user"):
        return None
    team = context.team_id or event.get("team") or ""
    ts = event["ts"]
    return Incoming(place=Place(team, event["channel"], event.get("thread_ts") or ts),
                    user=event["user"], text=plain(event.get("text") or "", context.bot_user_id),
                    key=ts, react_ts=ts,
                    file_ids=tuple(f["id"] for f in event.get("files") or [] if f.get("id")))


@dataclass(frozen=True)
class Root:
    """A thread's first message, as Slack has it now: its files' ids and its words."""

    file_ids: tuple[str, ...] = ()
    text: str | None = None


async def thread_root(client: AsyncWebClient, place: Place) -> Root:
    """The first message of the thread a message was written in."""
    try:
        found = await client.conversations_replies(channel=place.channel, ts=place.thread_ts,
                                                   limit=1)
    except SlackApiError as err:
        raise AttachmentNotTaken("Slack wouldn't show me the post this thread is under "
                                 f"({err.response.get('error')}).") from err
    messages: list[dict[str, Any]] = found.get("messages") or []
    root = next((m for m in messages if m.get("ts") == place.thread_ts), {})
    return Root(tuple(f["id"] for f in root.get("files") or [] if f.get("id")),
                plain(root.get("text") or "", None) or None)


async def fetch(client: AsyncWebClient, file_id: str, folder: Path, *, files_url: str,
                limit: int) -> Attachment:
    """One shared file on local disk. files.info is asked first: events may carry only the
    id (Slack Connect), and its size lets us refuse a huge file before downloading it."""
    try:
        info: dict[str, Any] = (await client.files_info(file=file_id))["file"]
    except SlackApiError as err:
        raise AttachmentNotTaken(
            f"Slack wouldn't show me that file ({err.response.get('error')}).") from err
    name = str(info.get("name") or info.get("title") or file_id)
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if info.get("mode") in ("hidden_by_limit", "tombstone") or not url:
        raise AttachmentNotTaken(f"{name} isn't available to me any more.")
    if int(info.get("size") or 0) > limit:
        raise AttachmentNotTaken(f"{name} is {int(info['size']) / 2**20:.1f} MB; the limit is "
                          f"{limit / 2**20:.0f} MB.")
    if not url.startswith(files_url):  # the bot token is sent nowhere else
        raise AttachmentNotTaken(f"{name} isn't hosted by Slack, so I won't fetch it.")
    target = folder / f"{file_id}{Path(name).suffix.lower()}"
    await _download(url, str(client.token), target, name, limit)
    return Attachment(path=target, filename=name)


async def _download(url: str, token: str, target: Path, name: str, limit: int) -> None:
    timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, session.get(
            url, headers={"Authorization": f"Bearer {token}"}) as response:
        # Without the files:read scope Slack answers with its sign-in page, not the file.
        if response.status != 200 or response.content_type == "text/html":
            raise AttachmentNotTaken(f"Slack didn't let me download {name} (HTTP "
                                     f"{response.status}); the app may lack the files:read "
                                     "scope.")
        size = 0
        with target.open("wb") as out:
            async for chunk in response.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise AttachmentNotTaken(f"{name} is over the {limit / 2**20:.0f} MB limit.")
                out.write(chunk)
