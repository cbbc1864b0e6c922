"""The local web chat as an adapter: the page and its API (`handlers.py`) behind the
Guard, served by uvicorn with the deadlines of `server.py`; each turn's progress and reply
go to every page open on its channel (`send.py`)."""

from __future__ import annotations

import asyncio
import socket

from starlette.applications import Starlette
from starlette.middleware import Middleware

from bots.base import Adapter
from bots.web.browsers import Browsers
from bots.web.convert import PLATFORM, shown
from bots.web.handlers import ERRORS, Handlers
from bots.web.security import Guard, is_loopback, required_token
from bots.web.send import Rooms
from bots.web.server import WebConfig, WebServer
from bots.web.uploads import Staging
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.preload import Preload
from core_agent.types import Event, Message, Reply


class WebChat(Adapter):
    """Serves the page and its API; one instance for every channel and page."""

    platform = PLATFORM
    text_limit = 10_000  # characters: past a few screens a transcript reads better as a file

    def __init__(self, agent: Agent, settings: Settings, preload: Preload | None = None
                 ) -> None:
        super().__init__(agent)
        self.settings = settings
        self.token = required_token(settings)  # UnsafeBind before anything starts
        self.staging = Staging(settings, agent.probe)
        self.rooms = Rooms()
        self.handlers = Handlers(self, settings, self.staging, self.rooms,
                                 preload or Preload())
        app = Starlette(routes=self.handlers.routes(), exception_handlers=ERRORS, middleware=[
            Middleware(Guard, token=self.token, loopback=is_loopback(settings.web_host)),
            Middleware(Browsers)])
        self._server = WebServer(WebConfig(app, settings))

    @property
    def url(self) -> str:
        """Where the page is served."""
        host = self.settings.web_host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.settings.web_port}/"

    @property
    def listening(self) -> asyncio.Event:
        """Set once the server has bound its sockets and answers."""
        return self._server.listening

    async def serve(self, sockets: list[socket.socket] | None = None) -> None:
        """Serve until stopped (Ctrl-C, or `stop()`); `sockets` are already bound ones."""
        try:
            await self._server.serve(sockets)
        finally:
            await self.turns.close()
            self.staging.close()

    def stop(self) -> None:
        """Ask the server to finish (open pages are closed, running turns cancelled)."""
        self._server.should_exit = True

    async def show_progress(self, message: Message, event: Event) -> None:
        self.rooms.broadcast(message.channel_id, {
            "type": "progress", "turn": message.platform_message_id,
            **event.model_dump(mode="json")})

    async def deliver(self, message: Message, reply: Reply) -> None:
        memory = self.agent.memory
        assert reply.message_id is not None
        answer = await memory.get_message(reply.message_id)
        ids = [reply.message_id, *([answer.reply_to] if answer and answer.reply_to else [])]
        stored = await memory.messages(message.channel_id, ids=ids)
        self.rooms.broadcast(message.channel_id, {
            "type": "done", "turn": message.platform_message_id,
            "messages": [shown(message.channel_id, row, media) for row, media in stored]})
