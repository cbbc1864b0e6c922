"""The Slack app: Bolt (async) over Socket Mode when an app token is set, else the HTTP
events endpoint; the same listeners either way. Turns in a thread run one at a time."""

from __future__ import annotations

import asyncio
import logging
import socket
import weakref
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.base import Adapter
from bots.catalog import task_rows
from bots.common import split_text, status_line
from bots.slack.files import FetchFailed, fetch, title, upload
from bots.slack.handlers import register
from bots.slack.home import home_view
from bots.slack.places import PLATFORM, Incoming, Place, mrkdwn
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.types import Event, Message, Reply, Stage

log = logging.getLogger(__name__)
TEXT_CHARS = 3000  # per message, before escaping; Slack advises under 4,000
HOME_JOBS = 10
WORKING, DONE, FAILED = "hourglass_flowing_sand", "white_check_mark", "x"
FIRST_LINE = status_line(Event(stage=Stage.MODALITY, message=""))
SORRY = "Something went wrong on my side; please try again."


class SlackNotConfigured(ValueError):
    """The settings lack what the chosen mode needs."""


@dataclass
class Status:
    """A running turn's placeholder message, updated as stages finish."""

    ts: str
    line: str


class SlackApp(Adapter):
    """One Bolt app for every workspace thread the bot is in."""

    platform = PLATFORM

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
        self.client = AsyncWebClient(token=settings.slack_bot_token.get_secret_value(),
                                     base_url=api_url)
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        # In Socket Mode Bolt skips signature checks, and no HTTP endpoint is served.
        self.bolt = AsyncApp(client=self.client, name="audiogpt",
                             signing_secret=secret.get_secret_value() if secret else "")
        register(self.bolt, self)
        self._stopping = asyncio.Event()
        self._turns: set[asyncio.Task[None]] = set()
        self._status: dict[tuple[str, str], Status] = {}
        # A lock lives while a turn holds or awaits it, then drops out of the map.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())

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
            for task in self._turns:
                task.cancel()
            await asyncio.gather(*self._turns, return_exceptions=True)

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

    # turns

    def start(self, turn: Coroutine[Any, Any, None]) -> None:
        """Run a turn in the background (listeners return at once)."""
        task = asyncio.create_task(turn)
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)

    async def knows(self, place: Place) -> bool:
        """Whether the app is part of this thread (it has answered in it before)."""
        return bool(await self.agent.memory.messages(place.channel_id, limit=1))

    async def command_turn(self, where: Place, user: str, author: str, text: str,
                           trigger_id: str, respond: AsyncRespond) -> None:
        """A slash command: the request posted in the channel opens the thread it is
        answered in; where the app can't post, the user gets an ephemeral note."""
        try:
            root = await self.client.chat_postMessage(
                channel=where.channel, text=f"<@{user}> asked: {mrkdwn(text)}")
        except SlackApiError as err:
            log.info("Slack: can't post in %s: %s", where.channel, err.response.get("error"))
            await respond("I can't post in this conversation. Invite me to the channel "
                          "(`/invite @AudioGPT`) or message me directly.",
                          response_type="ephemeral")
            return
        ts = str(root["ts"])
        await self.turn(Incoming(place=Place(where.team, where.channel, ts), user=user,
                                 text=text, key=trigger_id, react_ts=ts, author=author))

    async def turn(self, item: Incoming) -> None:
        """One message through the agent, once, with reactions showing its state."""
        place = item.place
        lock = self._locks.setdefault(place.channel_id, asyncio.Lock())
        async with lock:
            if await self.agent.memory.find_message(place.channel_id, item.key) is not None:
                log.info("Slack: %s in %s was handled already", item.key, place.channel_id)
                return
            await self._react(place.channel, item.react_ts, WORKING)
            done = False
            try:
                done = await self._answer(item)
            except Exception:
                log.exception("Slack turn %s in %s failed", item.key, place.channel_id)
                await self._say(place, self._status.get((place.channel_id, item.key)), SORRY)
            finally:
                self._status.pop((place.channel_id, item.key), None)
                await self._react(place.channel, item.react_ts, WORKING, remove=True)
                await self._react(place.channel, item.react_ts, DONE if done else FAILED)

    async def _answer(self, item: Incoming) -> bool:
        place = item.place
        posted = await self.client.chat_postMessage(channel=place.channel,
                                                    thread_ts=place.thread_ts, text=FIRST_LINE)
        status = self._status[(place.channel_id, item.key)] = Status(str(posted["ts"]),
                                                                     FIRST_LINE)
        with TemporaryDirectory(prefix="audiogpt-slack-") as folder:
            try:
                files = [await fetch(self.client, f, Path(folder),
                                     files_url=self.settings.slack_files_url,
                                     limit=self.settings.max_upload_bytes)
                         for f in item.file_ids]
            except FetchFailed as err:
                await self._say(place, status, mrkdwn(str(err)))
                return False
            reply = await self.respond(place.message(
                item.user, item.text, platform_message_id=item.key, author=item.author,
                attachments=files))
        return reply.error_code is None

    async def show_progress(self, message: Message, event: Event) -> None:
        status = self._status.get((message.channel_id, message.platform_message_id or ""))
        line = status_line(event)
        if status is None or line == status.line:
            return
        status.line = line
        try:
            await self.client.chat_update(channel=Place.of(message.channel_id).channel,
                                          ts=status.ts, text=line)
        except SlackApiError as err:  # progress is a courtesy; the reply still comes
            log.warning("Slack: progress not shown: %s", err.response.get("error"))

    async def deliver(self, message: Message, reply: Reply) -> None:
        place = Place.of(message.channel_id)
        status = self._status[(message.channel_id, message.platform_message_id or "")]
        first, *rest = split_text(reply.text, TEXT_CHARS)
        await self.client.chat_update(channel=place.channel, ts=status.ts, text=mrkdwn(first))
        for piece in rest:
            await self.client.chat_postMessage(channel=place.channel, thread_ts=place.thread_ts,
                                               text=mrkdwn(piece))
        files = [(a, title(a)) for a in reply.artifacts]
        if reply.voice is not None:
            files.append((reply.voice, "Spoken reply"))
        if files:
            await upload(self.client, place.channel, place.thread_ts, files)

    async def _say(self, place: Place, status: Status | None, text: str) -> None:
        """A short answer in the thread, in place of the placeholder if there is one."""
        try:
            if status is not None:
                await self.client.chat_update(channel=place.channel, ts=status.ts, text=text)
            else:
                await self.client.chat_postMessage(channel=place.channel,
                                                   thread_ts=place.thread_ts, text=text)
        except SlackApiError as err:
            log.warning("Slack: couldn't post in %s: %s", place.channel, err.response.get("error"))

    async def _react(self, channel: str, ts: str, name: str, remove: bool = False) -> None:
        try:
            if remove:
                await self.client.reactions_remove(channel=channel, timestamp=ts, name=name)
            else:
                await self.client.reactions_add(channel=channel, timestamp=ts, name=name)
        except SlackApiError as err:  # already_reacted, no_reaction: the state shows anyway
            log.debug("Slack: reaction %s not changed: %s", name, err.response.get("error"))

    async def publish_home(self, user: str) -> None:
        """Draw the user's App Home tab."""
        jobs = await self.agent.memory.user_jobs(f"{PLATFORM}:user:{user}", HOME_JOBS)
        rows = await asyncio.to_thread(task_rows, self.settings.models_dir)
        await self.client.views_publish(
            user_id=user, view=home_view(rows, jobs, self.settings.slack_command))
