"""Which browser is asking: a random id in an HttpOnly cookie, the web chat's user id.

The first response to a browser without a well-formed id sets one; every message it sends
then carries `web:browser:<id>` as its user id, so per-user quotas count a browser across
all of its channels, and its staged uploads are capped together. The id is 144 random bits:
another browser's cannot be guessed. A client that drops its cookies gets a new id each
time; the channel quota and the total upload cap still hold it.
"""

from __future__ import annotations

import re
import secrets

from starlette.datastructures import Headers
from starlette.requests import HTTPConnection, cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from bots.web.security import adding_headers

COOKIE = "audiogpt_web_id"
ID = re.compile(r"[A-Za-z0-9_-]{24}")  # what secrets.token_urlsafe(18) makes
MAX_AGE = 365 * 24 * 3600  # seconds the cookie lasts
SCOPE_KEY = "audiogpt.browser"


class Browsers:
    """ASGI middleware: every request gets its browser's id; a new browser, its cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = cookie_parser(Headers(scope=scope).get("cookie", "")).get(COOKIE, "")
        if ID.fullmatch(given):
            scope[SCOPE_KEY] = given
        else:
            scope[SCOPE_KEY] = fresh = secrets.token_urlsafe(18)
            if scope["type"] == "http":  # a page sets it before it opens any WebSocket
                cookie = f"{COOKIE}={fresh}; Max-Age={MAX_AGE}; Path=/; HttpOnly; " \
                         "SameSite=Strict"
                send = adding_headers(send, [(b"set-cookie", cookie.encode())])
        await self.app(scope, receive, send)


def browser_id(conn: HTTPConnection) -> str:
    """The asking browser's user id, as quotas count it."""
    return f"web:browser:{conn.scope[SCOPE_KEY]}"
