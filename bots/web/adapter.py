"""The local web chat as an adapter: rooms of open pages per channel, turns run in order.

Each channel ("web:<name>") is a room: every open page in it gets the room's events over
its WebSocket, so several people (tabs) share one conversation and its media. Turns in a
channel run one at a time, as in a group chat; different channels run side by side.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import socket
from collections import defaultdict
from datetime import UTC
from typing import Any

import uvicorn

from bots.base import Adapter
from bots.web.app import build_app
from bots.web.security import is_loopback, required_token
from bots.web.server import WebConfig
from bots.web.uploads import Staged, Staging
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.tables import MessageRecord
from core_agent.types import Artifact, Event, Message, Reply

log = logging.getLogger(__name__)
HISTORY_MESSAGES = 200  # what a page loads when it opens a channel
Payload = dict[str, Any]


class WebChat(Adapter):
    """Serves the page and its API; one instance for every channel and page."""

    platform = "web"

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        self.settings = settings
        self.token = required_token(settings)  # UnsafeBind before anything starts
        self.staging = Staging(settings, agent.probe)
        self._rooms: dict[str, set[asyncio.Queue[Payload]]] = defaultdict(set)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._turns: set[asyncio.Task[None]] = set()
        app = build_app(self, self.token, is_loopback(settings.web_host))
        self._server = uvicorn.Server(WebConfig(app, settings))

    @property
    def url(self) -> str:
        """Where the page is served."""
        host = self.settings.web_host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.settings.web_port}/"

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve until stopped (Ctrl-C, or `stop()`); `sockets` are already bound ones."""
        try:
            await self._server.serve(sockets)
        finally:
            for task in self._turns:
                task.cancel()
            await asyncio.gather(*self._turns, return_exceptions=True)
            self.staging.close()

    def stop(self) -> None:
        """Ask the server to finish (open pages are closed, running turns cancelled)."""
        self._server.should_exit = True

    # rooms

    def join(self, channel_id: str, inbox: asyncio.Queue[Payload]) -> None:
        """A page starts receiving a channel's events."""
        self._rooms[channel_id].add(inbox)

    def leave(self, channel_id: str, inbox: asyncio.Queue[Payload]) -> None:
        """A page stops receiving them."""
        self._rooms[channel_id].discard(inbox)

    def broadcast(self, channel_id: str, payload: Payload) -> None:
        """Send an event to every page open on the channel."""
        for inbox in self._rooms[channel_id]:
            inbox.put_nowait(payload)

    async def history(self, channel_id: str) -> Payload:
        """What a page shows on opening a channel: its stored messages and settings."""
        channel = await self.agent.memory.channel(channel_id, self.platform,
                                                  self.settings.voice_replies)
        stored = await self.agent.memory.messages(channel_id, HISTORY_MESSAGES)
        return {"type": "history", "voice_replies": channel.voice_replies,
                "messages": [shown(channel_id, row, media) for row, media in stored]}

    # turns

    def submit(self, channel_id: str, user_id: str, author: str, text: str,
               uploads: list[Staged]) -> str:
        """Start a turn for a browser (`user_id`); its progress and reply reach every page in
        the room. Returns its id."""
        turn = secrets.token_hex(8)
        message = Message(channel_id=channel_id, text=text, author=author, user_id=user_id,
                          platform=self.platform, platform_message_id=turn,
                          attachments=[u.attachment() for u in uploads])
        self.broadcast(channel_id, {"type": "turn", "turn": turn, "author": author, "text": text,
                                    "files": [{"name": u.name, "kind": u.kind} for u in uploads]})
        task = asyncio.create_task(self._turn(message, uploads))
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)
        return turn

    async def _turn(self, message: Message, uploads: list[Staged]) -> None:
        try:
            async with self._locks[message.channel_id]:
                await self.respond(message)
        except Exception:
            log.exception("web turn %s failed", message.platform_message_id)
            self.broadcast(message.channel_id, {
                "type": "failed", "turn": message.platform_message_id,
                "error": "Something went wrong on my side; please try again."})
        finally:
            self.staging.release(uploads)

    async def show_progress(self, message: Message, event: Event) -> None:
        self.broadcast(message.channel_id, {"type": "progress", "turn": message.platform_message_id,
                                            **event.model_dump(mode="json")})

    async def deliver(self, message: Message, reply: Reply) -> None:
        memory = self.agent.memory
        assert reply.message_id is not None
        answer = await memory.get_message(reply.message_id)
        ids = [reply.message_id, *([answer.reply_to] if answer and answer.reply_to else [])]
        stored = await memory.messages(message.channel_id, ids=ids)
        self.broadcast(message.channel_id, {
            "type": "done", "turn": message.platform_message_id,
            "messages": [shown(message.channel_id, row, media) for row, media in stored]})

    async def set_voice(self, channel_id: str, on: bool) -> None:
        """Speak (or stop speaking) replies in a channel, and tell its pages."""
        await self.agent.memory.channel(channel_id, self.platform, self.settings.voice_replies)
        await self.agent.memory.set_voice_replies(channel_id, on)
        self.broadcast(channel_id, {"type": "voice", "on": on})

    async def reset(self, channel_id: str) -> None:
        """Forget a channel's conversation and media, and clear its pages."""
        async with self._locks[channel_id]:  # not in the middle of a turn
            await self.agent.memory.forget(channel_id)
        self.broadcast(channel_id, {"type": "reset"})


def media_url(channel_id: str, handle: str) -> str:
    """Where the page fetches an artifact: by channel and handle, never by path."""
    return f"/api/channels/{channel_id.removeprefix('web:')}/media/{handle}"


def shown(channel_id: str, row: MessageRecord, media: list[Artifact]) -> Payload:
    """A stored message as the page draws it."""
    at = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
    return {
        "id": row.id, "role": row.role, "author": row.author, "text": row.text,
        "error_code": row.error_code, "at": at.isoformat(),
        "media": [{"handle": a.handle, "kind": a.kind.value, "mime": a.mime, "label": a.label,
                   "duration": a.duration, "url": media_url(channel_id, a.handle)}
                  for a in media],
    }
