"""Telegram as an adapter: python-telegram-bot's Application, long polling or a webhook,
the handlers of `handlers.py`, and replies posted through `send.py`."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.constants import MessageLimit
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application

from bots.base import Adapter
from bots.telegram.convert import Where, wants_round
from bots.telegram.handlers import MENU, Handlers
from bots.telegram.send import Poster, action_for, is_spoken
from bots.telegram.webhook import webhook_server
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.logs import Mask
from core_agent.types import Event, Message, Reply

log = logging.getLogger(__name__)
CLOUD_DOWNLOAD_LIMIT = 20 * 2**20  # bytes: what the Bot API lets bots download
CLOUD_UPLOAD_LIMIT = 50 * 2**20  # bytes: what it lets them send
LOCAL_LIMIT = 2000 * 2**20  # bytes: both, with a local Bot API server
RATE_RETRIES = 3  # 429s waited out (retry_after) before a send gives up
READ_TIMEOUT = 30.0  # seconds: Telegram may take a while to answer an upload
MEDIA_WRITE_TIMEOUT = 120.0  # seconds to send a file of up to 50 MB
UPDATES = ["message"]
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook's secret_token rule
URL_LOGGERS = ("httpx", "telegram.Bot", "telegram.ext.ExtBot")
Answer = bool | dict[str, Any] | list[dict[str, Any]]  # a Bot API call's result


class AnswersFirst(AIORateLimiter):
    """python-telegram-bot's limiter, but chat actions don't spend a group's 20 messages a
    minute: they are no messages, and the ones a forum's topics renew every few seconds would
    queue the answers behind them. Like every request, they still wait out a 429."""

    async def process_request(
            self, callback: Callable[..., Coroutine[Any, Any, Answer]], args: Any,
            kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
            rate_limit_args: int | None) -> Answer:
        if endpoint == "sendChatAction":  # the limiter counts a request against its chat_id
            data = {name: value for name, value in data.items() if name != "chat_id"}
        return await super().process_request(callback, args, kwargs, endpoint, data,
                                             rate_limit_args)


class TelegramBot(Adapter):
    """One bot token, every chat it is in."""

    platform = "telegram"
    text_limit = MessageLimit.MAX_TEXT_LENGTH

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        if settings.telegram_webhook_url and settings.telegram_webhook_secret is None:
            raise ValueError("AUDIOGPT_TELEGRAM_WEBHOOK_SECRET must be set with a webhook URL")
        secret = settings.telegram_webhook_secret
        if secret is not None and not WEBHOOK_SECRET.fullmatch(secret.get_secret_value()):
            raise ValueError("AUDIOGPT_TELEGRAM_WEBHOOK_SECRET may hold only A-Z, a-z, 0-9, _ "
                             "and -, 1 to 256 of them (Telegram refuses any other)")
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
                    .rate_limiter(AnswersFirst(max_retries=RATE_RETRIES))
                    .read_timeout(READ_TIMEOUT).media_write_timeout(MEDIA_WRITE_TIMEOUT)
                    .build())
        self.handlers = Handlers(self, settings, self.download_limit, self.upload_limit)
        self.handlers.register(self.app)
        self._stopped = asyncio.Event()

    async def serve(self) -> None:
        """Receive updates until `stop()`: a webhook when a URL is set, else long polling."""
        try:
            async with self.app:
                await self.app.start()
                # the menu of commands (the builder's post_init runs only in run_polling)
                await self.app.bot.set_my_commands(MENU)
                stop_receiving = await self._start_receiving()
                try:
                    await self._stopped.wait()
                finally:  # stopped, or cancelled with the process: wind down in order
                    await stop_receiving()
                    await self.turns.close()
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

    async def show_progress(self, message: Message, event: Event) -> None:
        if (progress := self.handlers.progress(message)) is not None:
            await progress.update(event)

    async def deliver(self, message: Message, reply: Reply) -> None:
        memory, where = self.agent.memory, Where.parse(message)
        poster = Poster(self.app.bot, where, self.upload_limit)
        progress = self.handlers.progress(message)
        ids = [] if reply.voice_only else await poster.text(reply.text)
        round_video = wants_round(message.text)
        files = [(a, is_spoken(a)) for a in reply.artifacts]
        files += [(reply.voice, True)] if reply.voice is not None else []
        for artifact, spoken in files:
            if progress is not None:
                await progress.act(action_for(artifact, spoken, round_video))
            if (posted := await poster.file(artifact, spoken, round_video)) is not None:
                await memory.mark_posted(artifact.id, str(posted))
                ids += [posted] if artifact is reply.voice and reply.voice_only else []
        if reply.voice_only and not ids:  # the voice went no way: the reply is written after all
            ids = await poster.text(reply.text)
        if ids and reply.message_id is not None:
            await memory.update_message(reply.message_id, platform_message_id=str(ids[0]))


def _polling_error(err: TelegramError) -> None:
    """The updater tries again by itself (waiting out 429s); say so without a traceback."""
    log.warning("telegram polling failed (%s: %s); retrying", type(err).__name__, err)
