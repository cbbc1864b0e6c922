"""Where a Slack turn happens and how text crosses over: threads as conversations, mrkdwn.

Memory is per thread ("slack:<team>:<channel>:<thread_ts>"): a Slack channel is shared by
many people doing unrelated things, and a thread is what Slack users treat as one
conversation, so handles (a1, a2, …) and "make that slower" stay within it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core_agent.types import Attachment, Message

PLATFORM = "slack"
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(\|[^>]*)?>")
LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")


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
                attachments: list[Attachment] | None = None) -> Message:
        """A user's turn here, with the ids the allow-lists and quotas read."""
        return Message(channel_id=self.channel_id, text=text, author=author or user,
                       platform=PLATFORM, platform_message_id=platform_message_id,
                       user_id=f"{PLATFORM}:user:{user}", attachments=attachments or [],
                       scopes=[f"{PLATFORM}:team:{self.team}",
                               f"{PLATFORM}:channel:{self.channel}"])


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
