"""Signs of life while a turn runs: the matching chat action, renewed before it fades, and a
"working on it" message, posted once the turn takes a while and edited as stages pass."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from types import TracebackType
from typing import TypeVar

from telegram.constants import ChatAction
from telegram.error import TelegramError

from bots.common import status_line
from bots.telegram.send import Poster
from core_agent.types import Event, Kind, Stage
from tasks import TASKS

log = logging.getLogger(__name__)
T = TypeVar("T")
TICK = 0.5  # seconds between checks
ACTION_EVERY = 4.0  # seconds; Telegram shows an action for about five
BY_TITLE = {spec.title: spec for spec in TASKS.values()}


def action_for_event(event: Event) -> str:
    """What the user sees the bot doing: recording speech, uploading sound or video, typing."""
    spec = BY_TITLE.get(event.message) if event.stage == Stage.ASSIGNMENT else None
    if spec is None:
        return ChatAction.TYPING
    if spec.voice is not None:
        return ChatAction.RECORD_VOICE
    if Kind.VIDEO in spec.outputs:
        return ChatAction.UPLOAD_VIDEO
    return ChatAction.UPLOAD_VOICE if Kind.AUDIO in spec.outputs else ChatAction.TYPING


class Progress:
    """One turn's progress in its chat; use as `async with`."""

    def __init__(self, poster: Poster, status_after: float) -> None:
        self.poster, self.status_after = poster, status_after
        self.action: str = ChatAction.TYPING
        self.line = "⏳ Working on it…"
        self._status: int | None = None  # the "working on it" message, once posted
        self._shown = ""
        self._acted = 0.0
        self._loop: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Progress:
        self._loop = asyncio.create_task(self._keep_alive())
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._loop is not None
        self._loop.cancel()
        (ended,) = await asyncio.gather(self._loop, return_exceptions=True)
        if isinstance(ended, Exception):  # the turn itself went well: don't fail it
            log.warning("telegram progress stopped early", exc_info=ended)
        if self._status is not None:
            await _quietly(self.poster.bot.delete_message(
                chat_id=self.poster.where.chat_id, message_id=self._status))

    async def update(self, event: Event) -> None:
        """A stage or step began: show it."""
        self.line = status_line(event)
        if (action := action_for_event(event)) != self.action:
            await self.act(action)
        if self._status is not None:
            await self._show()

    async def act(self, action: str) -> None:
        """Show this chat action now and keep it up."""
        self.action = action
        self._acted = time.monotonic()
        await _quietly(self.poster.action(action))

    async def _keep_alive(self) -> None:
        started = time.monotonic()
        await self.act(self.action)
        while True:
            await asyncio.sleep(TICK)
            if time.monotonic() - self._acted >= ACTION_EVERY:
                await self.act(self.action)
            if self._status is None and time.monotonic() - started >= self.status_after:
                await self._show()

    async def _show(self) -> None:
        if self.line == self._shown:
            return
        self._shown = self.line
        if self._status is None:
            ids = await _quietly(self.poster.text(self.line))
            self._status = ids[0] if ids else None
        else:
            await _quietly(self.poster.bot.edit_message_text(
                self.line, chat_id=self.poster.where.chat_id, message_id=self._status))


async def _quietly(call: Awaitable[T]) -> T | None:
    """Progress is a courtesy: failing to show it must not fail the turn."""
    try:
        return await call
    except TelegramError as err:
        log.info("telegram progress not shown: %s", type(err).__name__)
        return None
