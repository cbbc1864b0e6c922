"""Events out to the pages: each channel ("web:<name>") is a room, and every page open on
it gets the room's events over its WebSocket, so several people (tabs) share one
conversation and its media."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from bots.web.convert import Payload


class Rooms:
    """The open pages, by channel."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[asyncio.Queue[Payload]]] = defaultdict(set)

    def join(self, channel_id: str, inbox: asyncio.Queue[Payload]) -> None:
        """A page starts receiving a channel's events."""
        self._rooms[channel_id].add(inbox)

    def leave(self, channel_id: str, inbox: asyncio.Queue[Payload]) -> None:
        """A page stops receiving them."""
        self._rooms[channel_id].discard(inbox)

    def broadcast(self, channel_id: str, payload: Payload) -> None:
        """Send an event to every page open on the channel."""
        for inbox in self._rooms[channel_id]:
            inbox.put_nowait(payload)
