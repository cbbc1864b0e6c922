"""Slack events in: Bolt listeners read the payload and start a turn in its thread.

Events are acknowledged by Bolt before the listener runs; the slash command acks itself,
at once, and the turn runs after (Slack's 3-second rule). A message is taken in once: its
Slack id is remembered when its turn starts and looked up in memory before it runs, so a
retried delivery (after a restart too), or the message event that comes with a mention's
app_mention, is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bots import commands
from bots.base import Adapter
from bots.catalog import task_rows
from bots.slack import send
from bots.slack.convert import (
    PLATFORM,
    Incoming,
    Place,
    Root,
    fetch,
    incoming,
    mrkdwn,
    plain,
    thread_root,
)
from bots.slack.home import home_view, how
from bots.slack.send import DONE, FAILED, WORKING, Status
from core_agent.config import Settings
from core_agent.errors import AttachmentNotTaken
from core_agent.types import Channel, Message
from models.settings import ModelSettings

log = logging.getLogger(__name__)
# Message subtypes that are people writing; edits, joins and bots' posts are not.
PEOPLE_WRITING = (None, "file_share", "thread_broadcast")
HOME_JOBS = 10
RECENT_KEYS = 1000  # messages remembered as started, against a second delivery of one


class Handlers:
    """The app's listeners, each registered on the Bolt app in `register`."""

    def __init__(self, adapter: Adapter, client: AsyncWebClient, settings: Settings) -> None:
        self.adapter, self.agent = adapter, adapter.agent
        self.client, self.settings = client, settings
        self._status: dict[tuple[str, str], Status] = {}  # while a turn runs
        self._started: dict[tuple[str, str], None] = {}  # the latest turns' keys, oldest first
        self.commands = commands.CommandSet(self.agent, adapter.turns,
                                            how(settings.slack_command),
                                            prefix=f"{settings.slack_command} ")

    def register(self, bolt: AsyncApp) -> None:
        """Attach every listener."""
        bolt.command(self.settings.slack_command)(self.on_command)
        bolt.event("app_mention")(self.on_mention)
        bolt.event("message")(self.on_message)
        bolt.event("app_home_opened")(self.on_home)

    def status(self, message: Message) -> Status | None:
        """The running turn's placeholder, if the message's turn is running."""
        return self._status.get((message.channel_id, message.platform_message_id or ""))

    # listeners

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond,
                         context: AsyncBoltContext) -> None:
        """`/audiogpt <request>`: acked at once, answered in a new thread in the channel;
        `/audiogpt help` (and the other commands) answered in the ack, to the user alone."""
        text = plain(command.get("text") or "", context.bot_user_id)
        where = Place(command["team_id"], command["channel_id"], "")
        if not text:
            await ack(f"Tell me what to do, e.g. `{command['command']} read this aloud: "
                      "good morning`, or see `{command['command']} help`. Attach files by "
                      "mentioning me in a message instead.")
            return
        if not self.agent.access.admits(where.message(command["user_id"], text,
                                                      platform_message_id="")):
            await ack("Sorry, this app isn't open to you here. Ask its admin to add you.")
            return
        if (asked := commands.parse(text)) is not None:
            name, words = asked
            answer = await self.commands.run(name, words, await self._threads(where),
                                             f"{PLATFORM}:user:{command['user_id']}")
            await ack(mrkdwn(answer))  # shown only to the user
            return
        await ack()
        self.adapter.turns.spawn(self._command_turn(
            where, command["user_id"], command.get("user_name") or "", text,
            command["trigger_id"], respond))

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A mention in a channel: answered in the message's thread."""
        if (item := incoming(event, context)) is not None:
            self._start(item)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A direct message, a reply in a thread the app is part of (no mention needed), or
        a mention that came as a message only: Slack may send a post that shares a file and
        mentions the app as a `file_share` message without an `app_mention`."""
        if event.get("subtype") not in PEOPLE_WRITING or event.get("bot_id"):
            return
        item = incoming(event, context)
        if item is None:
            return
        mentioned = f"<@{context.bot_user_id}>" in (event.get("text") or "")
        if mentioned or event.get("channel_type") == "im" or await self._knows(item):
            self._start(item)

    async def on_home(self, event: dict[str, Any]) -> None:
        """The App Home tab opened: what the app does and the user's recent jobs."""
        if event.get("tab") != "home":
            return
        user = event["user"]
        jobs = await self.agent.memory.user_jobs(f"{PLATFORM}:user:{user}", HOME_JOBS)
        rows = await asyncio.to_thread(task_rows, ModelSettings.of(self.settings))
        await self.client.views_publish(
            user_id=user, view=home_view(rows, jobs, self.settings.slack_command))

    # turns

    async def _conversation(self, where: Place) -> Channel:
        """The Slack conversation's own record, with the settings its new threads start
        with; made once, not by each of its threads' turns at once."""
        level = Place(where.team, where.channel, "").channel_id
        async with self.adapter.turns.lock(level):
            return await self.agent.memory.channel(level, PLATFORM, self.settings.voice_replies)

    async def _threads(self, where: Place) -> list[str]:
        """A Slack conversation's memory channels: its own and each of its threads'."""
        level = (await self._conversation(where)).id
        return [level, *(c for c in await self.agent.memory.channel_ids(PLATFORM)
                         if c.startswith(level) and c != level)]

    async def _knows(self, item: Incoming) -> bool:
        """Whether the app is part of this thread (it has answered in it before)."""
        return bool(await self.agent.memory.messages(item.place.channel_id, limit=1))

    def _start(self, item: Incoming) -> None:
        """Start the message's turn, unless it was started already: a mention comes as an
        app_mention and as a message event (a turn that ends before it is stored, with
        a file Slack won't hand over, still runs once)."""
        key = (item.place.channel_id, item.key)
        if key in self._started:
            return
        self._started[key] = None
        if len(self._started) > RECENT_KEYS:
            del self._started[next(iter(self._started))]
        self.adapter.turns.start(item.place.channel_id, self._turn(item))

    async def _command_turn(self, where: Place, user: str, author: str, text: str,
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
        self._start(Incoming(place=Place(where.team, where.channel, ts), user=user, text=text,
                             key=trigger_id, react_ts=ts, author=author))

    async def _turn(self, item: Incoming) -> None:
        """One message through the agent, once, with reactions showing its state."""
        place, key = item.place, (item.place.channel_id, item.key)
        if await self.agent.memory.find_message(place.channel_id, item.key) is not None:
            log.info("Slack: %s in %s was handled already", item.key, place.channel_id)
            return
        await send.react(self.client, place.channel, item.react_ts, WORKING)
        done = False
        try:
            sorry = partial(self._say_sorry, place, key)
            async with self.adapter.turns.apologising(f"{item.key} in {place.channel_id}",
                                                      sorry):
                done = await self._answer(item)
        finally:
            self._status.pop(key, None)
            await send.react(self.client, place.channel, item.react_ts, WORKING, remove=True)
            await send.react(self.client, place.channel, item.react_ts,
                             DONE if done else FAILED)

    async def _answer(self, item: Incoming) -> bool:
        place, memory = item.place, self.agent.memory
        # a new thread speaks its replies as its conversation was told to (/audiogpt voice on)
        level = await self._conversation(place)
        await memory.channel(place.channel_id, PLATFORM, level.voice_replies)
        try:
            status = self._status[(place.channel_id, item.key)] = await send.placeholder(
                self.client, place)
        except SlackApiError as err:
            if err.response.get("error") not in send.CANT_POST:
                raise
            log.info("Slack: can't post in %s: %s", place.channel, err.response.get("error"))
            await send.tell_user(self.client, item.user, place.channel, err)
            return False
        root = await self._root(item)
        with TemporaryDirectory(prefix="audiogpt-slack-") as folder:
            try:
                files = [await fetch(self.client, f, Path(folder),
                                     files_url=self.settings.slack_files_url,
                                     limit=self.settings.max_upload_bytes)
                         for f in (*item.file_ids, *root.file_ids)]
            except AttachmentNotTaken as err:
                await send.say(self.client, place, status, mrkdwn(str(err)))
                return False
            reply = await self.adapter.respond(place.message(
                item.user, item.text, platform_message_id=item.key, author=item.author,
                attachments=files, replied_text=root.text))
        return reply.error_code is None

    async def _root(self, item: Incoming) -> Root:
        """The post a thread is under, on the app's first turn in a thread it was never
        part of: a reply there works on its files ("make it slower") or its words ("read
        this aloud")."""
        if not item.under_a_post or await self._knows(item):
            return Root()
        return await thread_root(self.client, item.place)

    async def _say_sorry(self, place: Place, key: tuple[str, str], text: str) -> None:
        await send.say(self.client, place, self._status.get(key), text)
