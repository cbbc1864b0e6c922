"""Telegram updates in: messages become turns, commands are answered.

Handlers only read the update and start work: a turn runs in the channel's order (a chat,
or a forum topic), so chats don't wait for each other and a group's messages are answered
in order. In groups the bot answers when mentioned, replied to or commanded; other media
posted there is kept in the channel's memory unasked, so anyone can refer to it later, or
reply to it.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from telegram import BotCommand, Update
from telegram import Message as TgMessage
from telegram.constants import MessageLimit
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler
from telegram.ext import filters as tg_filters

from bots import commands
from bots.base import Adapter
from bots.catalog import task_rows
from bots.common import split_text
from bots.telegram.convert import (
    Media,
    Where,
    addressed,
    download,
    is_media_file,
    media_of,
    replied_to,
    request_text,
    to_message,
)
from bots.telegram.progress import Progress
from bots.telegram.send import Poster
from core_agent.config import Settings
from core_agent.types import Message

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE
COMMANDS = [
    BotCommand("help", "What I can do"),
    BotCommand("tasks", "Every task and whether its model is installed"),
    BotCommand("voice", "on|off: also speak my replies"),
    BotCommand("cancel", "Stop what I'm working on in this chat"),
    BotCommand("reset", "Forget this chat's conversation and files"),
    BotCommand("usage", "Your jobs and model time lately"),
]
HOW = ("Send me a voice note, an audio file, a video or a photo, with a caption saying what "
       "to do, or just talk to me. In groups, mention me or reply to my messages; you can "
       "reply to any file posted here to work on it.")


def help_text(models_dir: Path | None) -> str:
    """What the bot can do here: the installed tasks, and its commands."""
    ready = [row for row in task_rows(models_dir) if any(b["installed"] for b in row["backends"])]
    tasks = "\n".join(f"• {row['title']}" for row in ready) or "• nothing yet"
    listed = "\n".join(f"/{c.command} — {c.description}" for c in COMMANDS)
    return f"{HOW}\n\nI can:\n{tasks}\n\nCommands:\n{listed}"


class Handlers:
    """The bot's handlers, each registered on the Application by name in `register`."""

    def __init__(self, adapter: Adapter, settings: Settings, download_limit: int,
                 upload_limit: int) -> None:
        self.adapter, self.agent, self.settings = adapter, adapter.agent, settings
        self.download_limit, self.upload_limit = download_limit, upload_limit
        self._progress: dict[tuple[str, str | None], Progress] = {}  # while a turn runs

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Attach every handler."""
        app.add_handler(CommandHandler("start", self.on_start))
        app.add_handler(CommandHandler("help", self.on_help))
        app.add_handler(CommandHandler("tasks", self.on_tasks))
        app.add_handler(CommandHandler("voice", self.on_voice))
        app.add_handler(CommandHandler("cancel", self.on_cancel))
        app.add_handler(CommandHandler("reset", self.on_reset))
        app.add_handler(CommandHandler("usage", self.on_usage))
        app.add_handler(MessageHandler(
            tg_filters.UpdateType.MESSAGE & ~tg_filters.COMMAND, self.on_message))

    def progress(self, message: Message) -> Progress | None:
        """The running turn's signs of life, if the message's turn is running."""
        return self._progress.get((message.channel_id, message.platform_message_id))

    # messages

    async def on_message(self, update: Update, context: Context) -> None:
        """Start a turn for a message meant for the bot; keep group media posted unasked."""
        msg = update.message
        if msg is None:
            return
        where, media = Where.of(msg), media_of(msg)
        if where.group and not addressed(msg, context.bot):
            kept = [m for m in media if is_media_file(m) and (m.size or 0) <= self.download_limit]
            if kept:
                self.adapter.turns.start(where.channel_id, self._keep(msg, kept))
            return
        too_big = next((m for m in media if (m.size or 0) > self.download_limit), None)
        if too_big is not None:
            await Poster(context.bot, where, self.upload_limit).text(self._too_big(too_big))
            return
        self.adapter.turns.start(where.channel_id, self._turn(msg, media))

    async def _keep(self, msg: TgMessage, media: list[Media]) -> None:
        with tempfile.TemporaryDirectory(prefix="audiogpt-telegram-") as folder:
            try:
                files = await download(msg.get_bot(), media, Path(folder))
                await self.agent.keep(to_message(msg, msg.caption or "", files))
            except TelegramError as err:
                log.info("telegram media not kept: %s", type(err).__name__)

    async def _turn(self, msg: TgMessage, media: list[Media]) -> None:
        where = Where.of(msg)
        poster = Poster(msg.get_bot(), where, self.upload_limit)
        async with self.adapter.turns.apologising(f"in {where.channel_id}", poster.try_text):
            replying = await self._replying_to(msg)
            if (replied := replied_to(msg)) is not None and not replying:
                # a post the bot never saw (privacy mode): bring its files along
                media = [*media, *(m for m in media_of(replied)
                                   if (m.size or 0) <= self.download_limit)]
            with tempfile.TemporaryDirectory(prefix="audiogpt-telegram-") as folder:
                try:
                    files = await download(msg.get_bot(), media, Path(folder))
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
                        await self.adapter.respond(message)
                    finally:
                        del self._progress[key]

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

    async def on_start(self, update: Update, context: Context) -> None:
        """Greet and explain."""
        if (await self._allowed(update)) and update.message:
            await update.message.reply_text("Hi! " + help_text(self.settings.models_dir))

    async def on_help(self, update: Update, context: Context) -> None:
        """What the bot can do."""
        if (await self._allowed(update)) and update.message:
            await update.message.reply_text(help_text(self.settings.models_dir))

    async def on_tasks(self, update: Update, context: Context) -> None:
        """Every task and its install state."""
        if (await self._allowed(update)) and update.message:
            for piece in split_text(commands.tasks_text(self.settings.models_dir),
                                    MessageLimit.MAX_TEXT_LENGTH - 1):
                await update.message.reply_text(piece)

    async def on_voice(self, update: Update, context: Context) -> None:
        """Speak replies in this chat, or stop."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        choice = (context.args or [""])[0].lower()
        if choice not in ("on", "off"):
            await update.message.reply_text("Say /voice on or /voice off.")
            return
        await commands.set_voice(self.agent, self.adapter.platform, message.channel_id,
                                 choice == "on")
        await update.message.reply_text("I'll speak my replies here." if choice == "on"
                                        else "I'll reply in text only here.")

    async def on_cancel(self, update: Update, context: Context) -> None:
        """Stop this channel's running and waiting turns and their jobs."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        stopped = await commands.cancel(self.agent, self.adapter.turns, message.channel_id)
        await update.message.reply_text("Stopped." if stopped else "Nothing is running.")

    async def on_reset(self, update: Update, context: Context) -> None:
        """Forget this channel's conversation and files."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        await commands.reset(self.agent, self.adapter.turns, message.channel_id)
        await update.message.reply_text("Done: I've forgotten this chat's messages and files.")

    async def on_usage(self, update: Update, context: Context) -> None:
        """The sender's jobs and model time in the quota window."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        await update.message.reply_text(await commands.usage(self.agent, message.user_id))
