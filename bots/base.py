"""What every platform's adapter shares: the adapter contract and the turn queue.

A channel's turns run one at a time, in the order they arrived (a group is answered in
order), while channels run side by side; a channel's turns can be cancelled (/cancel), and
all of them when the adapter stops. A turn that fails on the way is logged and answered
(a bug with one apology), whatever the platform.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from core_agent import logs
from core_agent.agent import Agent
from core_agent.errors import AudioGPTError
from core_agent.types import Event, Message, Reply

log = logging.getLogger(__name__)
SORRY = "Something went wrong on my side; please try again."
Say = Callable[[str], Awaitable[object]]  # posts a text where the turn is answered


class Turns:
    """The work an adapter has running: turns in their channels' order, and work that
    belongs to no channel yet."""

    def __init__(self, platform: str) -> None:
        self.platform = platform
        # A channel's lock lives while a turn holds or awaits it, then drops out of the map.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary())
        self._running: dict[asyncio.Task[None], str | None] = {}  # each task's channel

    def lock(self, channel_id: str) -> asyncio.Lock:
        """The channel's turn lock: who holds it runs between two of its turns."""
        return self._locks.setdefault(channel_id, asyncio.Lock())

    def start(self, channel_id: str, turn: Coroutine[Any, Any, None]) -> None:
        """Run a turn after the channel's earlier ones, beside other channels' turns."""
        lock = self.lock(channel_id)

        async def in_order() -> None:
            try:
                async with lock:
                    await turn
            finally:
                turn.close()  # cancelled while waiting: never started, nothing to warn about

        self._track(asyncio.create_task(in_order()), channel_id)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work that is in no channel's order (it may start a turn once its channel is
        known); it is cancelled with everything else when the adapter stops."""
        self._track(asyncio.create_task(work), None)

    async def cancel(self, channel_id: str) -> int:
        """Cancel the channel's running and waiting turns and let them end; how many."""
        return await _cancelled([t for t, c in self._running.items() if c == channel_id])

    async def close(self) -> None:
        """Cancel everything running (the adapter is stopping) and let it end."""
        await _cancelled(list(self._running))

    @asynccontextmanager
    async def apologising(self, what: str, say: Say) -> AsyncIterator[None]:
        """Around a turn's work: an error is logged and the user gets its message (ours) or
        the one apology (a bug) through `say`, instead of the error ending the turn's task."""
        try:
            yield
        except Exception as err:
            logs.failure(log, err, "%s turn %s", self.platform, what)
            await say(err.message if isinstance(err, AudioGPTError) else SORRY)

    def _track(self, task: asyncio.Task[None], channel_id: str | None) -> None:
        self._running[task] = channel_id
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        del self._running[task]


async def _cancelled(tasks: list[asyncio.Task[None]]) -> int:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(tasks)


class Adapter(ABC):
    """A platform: receives events, hands Messages to the agent, posts Replies back."""

    platform: str
    # Characters one post shows: a longer reply carries its transcripts as .txt files.
    text_limit: int | None = None

    def __init__(self, agent: Agent) -> None:
        self.agent = agent
        self.turns = Turns(self.platform)

    @abstractmethod
    async def serve(self) -> None:
        """Receive messages until stopped."""

    @abstractmethod
    async def show_progress(self, message: Message, event: Event) -> None:
        """Tell the user what is happening (chat action, status edit, spinner)."""

    @abstractmethod
    async def deliver(self, message: Message, reply: Reply) -> None:
        """Post the reply into the thread the message came from."""

    async def respond(self, message: Message) -> Reply:
        """One message through the agent, with progress, then delivered."""

        async def progress(event: Event) -> None:
            await self.show_progress(message, event)

        reply = await self.agent.handle(message, progress, text_limit=self.text_limit)
        await self.deliver(message, reply)
        return reply
