"""The chat platforms `audiogpt run` serves (each one whose credentials are set), each kept
serving on its own.

A platform that fails to start (a refused token, an unreachable server) or stops with an
error is reported in one log line and started afresh after a pause that doubles up to a
cap; the others keep serving meanwhile. A platform whose `serve()` returns was stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable
from functools import partial
from typing import Protocol

from core_agent.agent import Agent
from core_agent.config import Settings

log = logging.getLogger(__name__)
FIRST_PAUSE = 5.0  # seconds before a failed platform is started again
LAST_PAUSE = 300.0  # seconds: the pause doubles up to this; a platform that served longer
# than this before failing starts again after the first pause
ADAPTERS = {  # platform: (the credential that turns it on, module, adapter class)
    "telegram": ("telegram_bot_token", "bots.telegram", "TelegramBot"),
    "slack": ("slack_bot_token", "bots.slack", "SlackApp"),
    "discord": ("discord_bot_token", "bots.discord", "DiscordBot"),
}


class Served(Protocol):
    """What `audiogpt run` needs of a platform: serve until stopped, and stop."""

    platform: str

    async def serve(self) -> None: ...

    def stop(self) -> None: ...


class Supervised:
    """One platform, built and served afresh after each failure until stopped."""

    def __init__(self, platform: str, make: Callable[[], Served],
                 first: Served | None = None) -> None:
        self.platform, self._make, self._next = platform, make, first
        self._current: Served | None = None
        self._stopped = asyncio.Event()

    async def serve(self) -> None:
        """Serve until stopped (or until the platform returns by itself); never raises."""
        loop, pause = asyncio.get_running_loop(), FIRST_PAUSE
        while not self._stopped.is_set():
            began = loop.time()
            try:
                self._current, self._next = self._next or self._make(), None
                await self._current.serve()
                return
            except (Exception, SystemExit) as err:  # uvicorn exits when it can't bind
                reason = _reason(err)
            finally:
                self._current = None
            if loop.time() - began > LAST_PAUSE:
                pause = FIRST_PAUSE
            log.warning("%s is not serving (%s); trying again in %.0f s", self.platform, reason,
                        pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), pause)
            pause = min(2 * pause, LAST_PAUSE)

    def stop(self) -> None:
        """Stop the platform, or the wait before its next start."""
        self._stopped.set()
        if self._current is not None:
            self._current.stop()


async def serve_beside(main: Supervised, others: list[Supervised]) -> None:
    """Serve the others while `main` (the web chat, which Ctrl-C ends) serves; then stop
    them and let each wind down in order. The cancellation Ctrl-C also brings (uvicorn
    raises the signal again once it has stopped) waits for that, then goes on."""
    serving = [asyncio.create_task(platform.serve()) for platform in others]
    try:
        await main.serve()
    finally:
        for platform in others:
            platform.stop()
        interrupted = False
        while serving:
            try:
                await asyncio.wait(serving)
                break
            except asyncio.CancelledError:
                interrupted = True
        if interrupted:
            raise asyncio.CancelledError


def configured(agent: Agent, settings: Settings) -> list[Supervised]:
    """Every platform with credentials, its adapter imported only when used."""
    return [Supervised(name, partial(_adapter, module, cls, agent, settings))
            for name, (credential, module, cls) in ADAPTERS.items()
            if getattr(settings, credential)]


def _adapter(module: str, cls: str, agent: Agent, settings: Settings) -> Served:
    adapter: Served = getattr(importlib.import_module(module), cls)(agent, settings)
    return adapter


def _reason(err: BaseException) -> str:
    """An error in one line (secrets are masked by the log handler)."""
    while isinstance(err, BaseExceptionGroup) and err.exceptions:
        err = err.exceptions[0]
    if isinstance(err, SystemExit):
        return f"it exited with status {err.code}"
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
