"""The web chat's HTTP server: uvicorn's h11 protocol with deadlines a slow client cannot stretch.

uvicorn itself bounds only the wait between requests (keep-alive). Here a request's head
must arrive within `web_header_timeout` of the connection (or of its first byte, after an
idle keep-alive), a body must keep moving (BODY_PROGRESS_BYTES every `web_body_timeout`,
so a byte now and then does not hold it open), and at most `web_max_connections`
connections, pages' WebSockets included, are served at once: a request beyond that is
answered 503. A connection that misses a deadline is closed; the app sees a disconnect.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from core_agent.config import Settings

log = logging.getLogger(__name__)
MAX_HEAD_BYTES = 16 * 1024  # a request head beyond it is refused with 400
BODY_PROGRESS_BYTES = 1024  # a body bringing less than this in a body timeout is stalled


class WebConfig(uvicorn.Config):
    """uvicorn's Config for the web chat, with the deadlines its protocol keeps."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(
            app, host=settings.web_host, port=settings.web_port, http=GuardedH11,
            ws="websockets-sansio", timeout_keep_alive=settings.web_keep_alive,
            # uvicorn counts the asking connection too: N + 1 lets N be served at once
            limit_concurrency=settings.web_max_connections + 1,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            log_config=None, access_log=False)  # request lines could carry ?token=
        self.header_timeout = settings.web_header_timeout
        self.body_timeout = settings.web_body_timeout


class WebServer(uvicorn.Server):
    """uvicorn's Server, saying when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.listening = asyncio.Event()  # set once its sockets are bound

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.listening.set()


class GuardedH11(H11Protocol):
    """One connection: h11 with a deadline on the head, a stall limit on the body, and the
    connection cap applied to WebSocket upgrades as well."""

    def __init__(self, config: uvicorn.Config, server_state: ServerState,
                 app_state: dict[str, Any], _loop: asyncio.AbstractEventLoop | None = None
                 ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, WebConfig)
        self.deadlines = config
        self._head: asyncio.TimerHandle | None = None
        self._body: asyncio.TimerHandle | None = None
        self._body_bytes = 0  # received since the body's last check
        self._upgraded = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.SEND_BODY:
            self._body_bytes += len(data)
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._stop()

    def _should_upgrade(self) -> bool:
        # over the cap, the upgrade is answered like any request: 503
        return not self._busy() and super()._should_upgrade()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._upgraded = True  # the WebSocket protocol takes the connection from here
        self._stop()
        super().handle_websocket_upgrade(event)

    def _busy(self) -> bool:
        """uvicorn's own test for `limit_concurrency`."""
        limit = self.limit_concurrency
        return limit is not None and max(len(self.connections), len(self.tasks)) >= limit

    def _watch(self) -> None:
        """Arm the deadline for what the client owes now; drop the ones it has met."""
        if self._upgraded or self.transport.is_closing():
            self._stop()
            return
        state = self.conn.their_state
        # between requests uvicorn's keep-alive timer waits for the next head's first byte
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            if self._head is None:
                self._head = self.loop.call_later(self.deadlines.header_timeout, self._cut,
                                                  "request head")
        elif self._head is not None:
            self._head.cancel()
            self._head = None
        if state is h11.SEND_BODY:
            if self._body is None:
                self._arm_body()
        elif self._body is not None:
            self._body.cancel()
            self._body = None

    def _arm_body(self) -> None:
        self._body_bytes = 0
        self._body = self.loop.call_later(self.deadlines.body_timeout, self._body_due)

    def _body_due(self) -> None:
        # paused reading means the app is behind, not the client
        if self._body_bytes >= BODY_PROGRESS_BYTES or self.flow.read_paused:
            self._arm_body()
        else:
            self._cut("request body")

    def _cut(self, what: str) -> None:
        if not self.transport.is_closing():
            host = self.client[0] if self.client else "?"
            log.info("closed a web chat connection from %s: its %s stalled", host, what)
            self.transport.close()

    def _stop(self) -> None:
        for timer in (self._head, self._body):
            if timer is not None:
                timer.cancel()
        self._head = self._body = None
