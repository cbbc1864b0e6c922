"""The Slack app: Bolt (async) over Socket Mode when an app token is set, else the HTTP
events endpoint; the same listeners (`handlers.py`) either way. Turns in a thread run one
at a time."""

from __future__ import annotations

import asyncio
import logging
import socket

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.base import Adapter
from bots.common import status_line
from bots.slack import send
from bots.slack.convert import PLATFORM, Place
from bots.slack.handlers import Handlers
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.errors import SettingsError
from core_agent.types import Event, Message, Reply

log = logging.getLogger(__name__)


class SlackNotConfigured(SettingsError):
    """The settings lack what the chosen mode needs."""


class SlackApp(Adapter):
    """One Bolt app for every workspace thread the bot is in."""

    platform = PLATFORM
    text_limit = send.READABLE_CHARS

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        self.settings = settings
        if settings.slack_bot_token is None:
            raise SlackNotConfigured("Set SLACK_BOT_TOKEN (the app's xoxb- token).")
        secret = settings.slack_signing_secret
        if settings.slack_app_token is None and secret is None:
            raise SlackNotConfigured("Set SLACK_SIGNING_SECRET for the HTTP events endpoint, "
                                     "or SLACK_APP_TOKEN for Socket Mode.")
        api_url = settings.slack_api_url.rstrip("/") + "/"
        token = settings.slack_bot_token.get_secret_value()
        self.client = AsyncWebClient(token=token, base_url=api_url)
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        # Progress edits run inside the turn: one Slack rate-limits is skipped, not waited
        # out for Retry-After, and the next stage's edit (or the answer) says more anyway.
        self.progress_client = AsyncWebClient(token=token, base_url=api_url)
        # In Socket Mode Bolt skips signature checks, and no HTTP endpoint is served.
        self.bolt = AsyncApp(client=self.client, name="audiogpt",
                             signing_secret=secret.get_secret_value() if secret else "")
        self.handlers = Handlers(self, self.client, settings)
        self.handlers.register(self.bolt)
        self._stopping = asyncio.Event()

    @property
    def mode(self) -> str:
        """"socket" (an app token is set) or "http"."""
        return "socket" if self.settings.slack_app_token is not None else "http"

    async def serve(self, sock: socket.socket | None = None) -> None:
        """Receive events until stopped; `sock` is an already bound one for HTTP mode."""
        try:
            if self.mode == "socket":
                await self._serve_socket_mode()
            else:
                await self._serve_http(sock)
        finally:
            await self.turns.close()

    def stop(self) -> None:
        """Stop receiving; running turns are cancelled."""
        self._stopping.set()

    async def _serve_socket_mode(self) -> None:
        assert self.settings.slack_app_token is not None
        handler = AsyncSocketModeHandler(
            self.bolt, app_token=self.settings.slack_app_token.get_secret_value(),
            web_client=self.client)
        await handler.connect_async()
        log.info("Slack: connected over Socket Mode")
        try:
            await self._stopping.wait()
        finally:
            await handler.close_async()

    async def _serve_http(self, sock: socket.socket | None) -> None:
        s = self.settings
        runner = web.AppRunner(self.bolt.web_app(path=s.slack_path, port=s.slack_port),
                               access_log=None)
        await runner.setup()
        site = (web.SockSite(runner, sock) if sock is not None
                else web.TCPSite(runner, s.slack_host, s.slack_port))
        await site.start()
        log.info("Slack: events endpoint on %s%s", site.name, s.slack_path)
        try:
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    async def show_progress(self, message: Message, event: Event) -> None:
        if (status := self.handlers.status(message)) is not None:
            await send.show(self.progress_client, Place.of(message.channel_id), status,
                            status_line(event))

    async def deliver(self, message: Message, reply: Reply) -> None:
        status = self.handlers.status(message)
        assert status is not None  # the turn posted its placeholder first
        await send.answer(self.client, Place.of(message.channel_id), status, reply)
