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
MENU = [BotCommand(name, "; ".join(f"{c.word}: {c.does}" if c.word else c.does
                                  for c in commands.COMMANDS if c.name == name))
        for name in commands.NAMES]  # the command menu Telegram shows
HOW = ("Send me a voice note, an audio file, a video or a photo, with a caption saying what "
       "to do, or just talk to me. In groups, mention me or reply to my messages; reply to "
       "any file posted here (\"make it slower\") to work on that file.")


class Handlers:
    """The bot's handlers, each registered on the Application by name in `register`."""

    def __init__(self, adapter: Adapter, settings: Settings, download_limit: int,
                 upload_limit: int) -> None:
        self.adapter, self.agent, self.settings = adapter, adapter.agent, settings
        self.download_limit, self.upload_limit = download_limit, upload_limit
        self._progress: dict[tuple[str, str | None], Progress] = {}  # while a turn runs
        self.commands = commands.CommandSet(self.agent, adapter.turns, HOW)

    def register(self, app: Application) -> None:  # type: ignore[type-arg]
        """Attach every handler."""
        app.add_handler(CommandHandler("start", self.on_start))
        app.add_handler(CommandHandler(commands.NAMES, self.on_command))
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
            await update.message.reply_text("Hi! " + self.commands.help())

    async def on_command(self, update: Update, context: Context) -> None:
        """One of the commands every platform has, answered in the chat."""
        if not (message := await self._allowed(update)) or not update.message:
            return
        name = (update.message.text or "/").split(maxsplit=1)[0][1:].split("@")[0].lower()
        answer = await self.commands.run(name, context.args or [], [message.channel_id],
                                         message.user_id)
        for piece in split_text(answer, MessageLimit.MAX_TEXT_LENGTH - 1):
            await update.message.reply_text(piece)
