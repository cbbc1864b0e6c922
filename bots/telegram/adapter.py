"""Telegram as an adapter: python-telegram-bot's Application, long polling or a webhook.

Handlers only read the update and start work: a turn runs as a task, one at a time per
channel (a chat, or a forum topic), so chats don't wait for each other and a group's
messages are answered in order. In groups the bot answers when mentioned, replied to or
commanded; other media posted there is kept in the channel's memory unasked, so anyone
can refer to it later, or reply to it.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram import Message as TgMessage
from telegram import Update
from telegram.constants import MessageLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import AIORateLimiter, Application, CommandHandler, ContextTypes, MessageHandler
from telegram.ext import filters as tg_filters

from bots.base import Adapter
from bots.common import split_text
from bots.telegram import commands
from bots.telegram.convert import (
    Media,
    Where,
    addressed,
    is_media_file,
    media_of,
    replied_to,
    request_text,
    to_message,
    wants_round,
)
from bots.telegram.progress import Progress
from bots.telegram.send import Poster, action_for, is_spoken
from bots.telegram.webhook import webhook_server
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.logs import Mask
from core_agent.types import Attachment, Event, Message, Reply

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
CLOUD_DOWNLOAD_LIMIT = 20 * 2**20  # bytes: what the Bot API lets bots download
CLOUD_UPLOAD_LIMIT = 50 * 2**20  # bytes: what it lets them send
LOCAL_LIMIT = 2000 * 2**20  # bytes: both, with a local Bot API server
RATE_RETRIES = 3  # 429s waited out (retry_after) before a send gives up
READ_TIMEOUT = 30.0  # seconds: Telegram may take a while to answer an upload
MEDIA_WRITE_TIMEOUT = 120.0  # seconds to send a file of up to 50 MB
UPDATES = ["message"]
URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")
FAILED = "Something went wrong on my side; please try again."


class TelegramBot(Adapter):
    """One bot token, every chat it is in."""

    platform = "telegram"

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
            raise ValueError("AUDIOGPT_TELEGRAM_WEBHOOK_SECRET must be set with a webhook URL")
        self.settings = settings
        token = settings.telegram_bot_token.get_secret_value()
        # Bot API URLs carry the token; httpx (each request) and the SDK (its base URL) log them.
        self._token_filter = Mask([token])
        for name in URL_LOGGERS:  # before the SDK's Bot logs its URLs
            logging.getLogger(name).addFilter(self._token_filter)
        local = settings.telegram_local_mode
        self.download_limit = LOCAL_LIMIT if local else CLOUD_DOWNLOAD_LIMIT
        self.upload_limit = LOCAL_LIMIT if local else CLOUD_UPLOAD_LIMIT
        self.app = (Application.builder().token(token).base_url(settings.telegram_base_url)
                    .base_file_url(settings.telegram_base_file_url).local_mode(local)
                    .rate_limiter(AIORateLimiter(max_retries=RATE_RETRIES))
                    .read_timeout(READ_TIMEOUT).media_write_timeout(MEDIA_WRITE_TIMEOUT)
                    .post_init(self._post_init).build())
        for name in ("start", "help", "tasks", "voice", "cancel", "reset", "usage"):
            self.app.add_handler(CommandHandler(name, getattr(self, f"_on_{name}")))
        self.app.add_handler(MessageHandler(
            tg_filters.UpdateType.MESSAGE & ~tg_filters.COMMAND, self._on_message))
        self._stopped = asyncio.Event()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._turns: dict[str, set[asyncio.Task[None]]] = defaultdict(set)
        self._progress: dict[tuple[str, str | None], Progress] = {}

    async def serve(self) -> None:
        """Receive updates until `stop()`: a webhook when a URL is set, else long polling."""
        try:
            async with self.app:
                await self.app.start()
                stop_receiving = await self._start_receiving()
                try:
                    await self._stopped.wait()
                finally:  # stopped, or cancelled with the process: wind down in order
                    await stop_receiving()
                    await self._cancel_all()
                    await self.app.stop()
        finally:
            for name in URL_LOGGERS:
                logging.getLogger(name).removeFilter(self._token_filter)

    def stop(self) -> None:
        """Stop receiving; running turns are cancelled."""
        self._stopped.set()

    async def _start_receiving(self) -> Callable[[], Awaitable[None]]:
        """Start the webhook server or long polling; returns what stops it."""
        settings = self.settings
        if (url := settings.telegram_webhook_url) and settings.telegram_webhook_secret:
            secret = settings.telegram_webhook_secret.get_secret_value()
            server = webhook_server(self.app, url, secret, settings.telegram_webhook_listen,
                                    settings.telegram_webhook_port)
            serving = asyncio.create_task(server.serve())
            await self.app.bot.set_webhook(url, secret_token=secret, allowed_updates=UPDATES)

            async def stop_server() -> None:
                server.should_exit = True
                await serving

            return stop_server
        assert self.app.updater is not None
        await self.app.updater.start_polling(allowed_updates=UPDATES,
                                             error_callback=_polling_error)
        return self.app.updater.stop

    async def _post_init(self, app: Application) -> None:  # type: ignore[type-arg]
        await app.bot.set_my_commands(commands.COMMANDS)

    # messages

    async def _on_message(self, update: Update, context: Context) -> None:
        """Start a turn for a message meant for the bot; keep group media posted unasked."""
        msg = update.message
        if msg is None:
            return
        where, media = Where.of(msg), media_of(msg)
        if where.group and not addressed(msg, context.bot):
            kept = [m for m in media if is_media_file(m) and (m.size or 0) <= self.download_limit]
            if kept:
                self._spawn(where, self._keep(msg, kept))
            return
        too_big = next((m for m in media if (m.size or 0) > self.download_limit), None)
        if too_big is not None:
            await Poster(context.bot, where, self.upload_limit).text(self._too_big(too_big))
            return
        self._spawn(where, self._turn(msg, media))

    def _spawn(self, where: Where, work: Coroutine[Any, Any, None]) -> None:
        """Run work in the channel's order, beside other channels'."""
        lock, turns = self._locks[where.channel_id], self._turns[where.channel_id]

        async def in_turn() -> None:
            try:
                async with lock:
                    await work
            finally:
                work.close()  # cancelled while waiting: never started, nothing to warn about

        task = asyncio.create_task(in_turn())
        turns.add(task)
        task.add_done_callback(turns.discard)

    async def _keep(self, msg: TgMessage, media: list[Media]) -> None:
        with tempfile.TemporaryDirectory(prefix="audiogpt-telegram-") as folder:
            try:
                files = await self._download(media, Path(folder))
                await self.agent.keep(to_message(msg, msg.caption or "", files))
            except TelegramError as err:
                log.info("telegram media not kept: %s", type(err).__name__)

    async def _turn(self, msg: TgMessage, media: list[Media]) -> None:
        where = Where.of(msg)
        poster = Poster(msg.get_bot(), where, self.upload_limit)
        try:
            replying = await self._replying_to(msg)
            if (replied := replied_to(msg)) is not None and not replying:
                # a post the bot never saw (privacy mode): bring its files along
                media = [*media, *(m for m in media_of(replied)
                                   if (m.size or 0) <= self.download_limit)]
            with tempfile.TemporaryDirectory(prefix="audiogpt-telegram-") as folder:
                try:
                    files = await self._download(media, Path(folder))
                except BadRequest as err:  # Telegram's own size check, with no size declared
                    if "too big" not in err.message.lower():
                        raise
                    await poster.text(self._too_big(None))
                    return
                message = to_message(msg, request_text(msg, msg.get_bot()), files, replying)
                key = (message.channel_id, message.platform_message_id)
                async with Progress(poster, self.settings.telegram_status_after) as progress:
                    self._progress[key] = progress
                    try:
                        await self.respond(message)
                    finally:
                        del self._progress[key]
        except Exception:
            log.exception("telegram turn in %s failed", where.channel_id)
            await _try(poster.text(FAILED))

    async def _download(self, media: list[Media], folder: Path) -> list[Attachment]:
        files = []
        for index, item in enumerate(media):
            target = folder / f"{index}-{Path(item.filename).name}"
            telegram_file = await self.app.bot.get_file(item.file_id)
            await telegram_file.download_to_drive(target)
            files.append(Attachment(path=target, filename=item.filename))
        return files

    async def _replying_to(self, msg: TgMessage) -> list[str]:
        """Handles of the files the replied-to message carried (the bot's or anyone's)."""
        replied = replied_to(msg)
        if replied is None:
            return []
        carried = await self.agent.memory.carried_by(Where.of(msg).channel_id,
                                                     str(replied.message_id))
        return [a.handle for a in carried]

    def _too_big(self, media: Media | None) -> str:
        limit = f"{self.download_limit / 2**20:.0f} MB"
        what = (f"{media.filename} is {media.size / 2**20:.1f} MB"
                if media is not None and media.size else "That file is too big")
        return (f"{what}; Telegram lets me download files up to {limit}. Please send a shorter "
                "or compressed version (an admin can lift the limit with a local Bot API "
                "server).")

    async def show_progress(self, message: Message, event: Event) -> None:
        progress = self._progress.get((message.channel_id, message.platform_message_id))
        if progress is not None:
            await progress.update(event)

    async def deliver(self, message: Message, reply: Reply) -> None:
        memory, where = self.agent.memory, Where.parse(message)
        poster = Poster(self.app.bot, where, self.upload_limit)
        progress = self._progress.get((message.channel_id, message.platform_message_id))
        ids = await poster.text(reply.text)
        if ids and reply.message_id is not None:
            await memory.update_message(reply.message_id, platform_message_id=str(ids[0]))
        round_video = wants_round(message.text)
        files = [(a, is_spoken(a)) for a in reply.artifacts]
        files += [(reply.voice, True)] if reply.voice is not None else []
        for artifact, spoken in files:
            if progress is not None:
                await progress.act(action_for(artifact, spoken, round_video))
            if (posted := await poster.file(artifact, spoken, round_video)) is not None:
                await memory.mark_posted(artifact.id, str(posted))

    # commands

    async def _allowed(self, update: Update) -> Message | None:
        """The command as a Message, if the allow-lists admit its sender here."""
        msg = update.message
        if msg is None:
            return None
        message = to_message(msg, "", [])
        if self.agent.access.admits(message):
            return message
        await msg.reply_text("Sorry, this bot isn't open to you here. Ask its admin to add you.")
        return None

    async def _on_start(self, update: Update, context: Context) -> None:
        """Greet and explain."""
        if (await self._allowed(update)) and update.message:
            await update.message.reply_text(
                "Hi! " + commands.help_text(self.settings.models_dir))

    async def _on_help(self, update: Update, context: Context) -> None:
        """What the bot can do."""
        if (await self._allowed(update)) and update.message:
            await update.message.reply_text(commands.help_text(self.settings.models_dir))

    async def _on_tasks(self, update: Update, context: Context) -> None:
        """Every task and its install state."""
        if (await self._allowed(update)) and update.message:
            for piece in split_text(commands.tasks_text(self.settings.models_dir),
                                    MessageLimit.MAX_TEXT_LENGTH - 1):
                await update.message.reply_text(piece)

    async def _on_voice(self, update: Update, context: Context) -> None:
        """Speak replies in this chat, or stop."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        choice = (context.args or [""])[0].lower()
        if choice not in ("on", "off"):
            await update.message.reply_text("Say /voice on or /voice off.")
            return
        memory = self.agent.memory
        await memory.channel(message.channel_id, self.platform, self.settings.voice_replies)
        await memory.set_voice_replies(message.channel_id, choice == "on")
        await update.message.reply_text("I'll speak my replies here." if choice == "on"
                                        else "I'll reply in text only here.")

    async def _on_cancel(self, update: Update, context: Context) -> None:
        """Stop this channel's running and waiting turns and their jobs."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        turns = list(self._turns[message.channel_id])
        for task in turns:
            task.cancel()
        await asyncio.gather(*turns, return_exceptions=True)
        stopped = await self.agent.memory.cancel_jobs(message.channel_id, "cancelled with /cancel")
        await update.message.reply_text("Stopped." if turns or stopped else "Nothing is running.")

    async def _on_reset(self, update: Update, context: Context) -> None:
        """Forget this channel's conversation and files."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        async with self._locks[message.channel_id]:  # not in the middle of a turn
            await self.agent.memory.forget(message.channel_id)
        await update.message.reply_text("Done: I've forgotten this chat's messages and files.")

    async def _on_usage(self, update: Update, context: Context) -> None:
        """The sender's jobs and model time in the quota window."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        access = self.agent.access
        usage = await access.usage(user_id=message.user_id)
        await update.message.reply_text(commands.usage_text(
            usage, self.settings, access.is_admin(message.user_id)))

    async def _cancel_all(self) -> None:
        tasks = [t for turns in self._turns.values() for t in turns]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _polling_error(err: TelegramError) -> None:
    """The updater tries again by itself (waiting out 429s); say so without a traceback."""
    log.warning("telegram polling failed (%s: %s); retrying", type(err).__name__, err)


async def _try(call: Coroutine[Any, Any, object]) -> None:
    try:
        await call
    except TelegramError as err:
        log.warning("telegram: could not tell the user (%s)", type(err).__name__)
