"""Who may talk to the web chat: loopback by default, a token everywhere else.

Every HTTP and WebSocket request passes `Guard`: the Host must be one this server answers
to (a DNS-rebinding page cannot reach a loopback chat), a browser's Origin must be this
server's own (no other site can post or listen in), and when a token is set it must come
with the request, as a cookie set from `?token=` or an `Authorization: Bearer` header.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from core_agent.config import Settings
from core_agent.errors import SettingsError

COOKIE = "audiogpt_web_token"
MIN_TOKEN_CHARS = 16
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "[::1]"}
# Open to any caller: health checks (Docker, load balancers) carry no token, and learn only
# whether the process is serving.
OPEN_PATHS = {"/healthz"}
HEADERS = [  # on every response: no framing, no content sniffing, nothing from elsewhere
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; "
     b"connect-src 'self'; object-src 'none'; frame-ancestors 'none'"),
]


class UnsafeBind(SettingsError):
    """The settings would expose the chat to the network without a token."""


def is_loopback(host: str) -> bool:
    """Whether a bind address only takes connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def required_token(settings: Settings) -> str | None:
    """The token requests must carry (None on loopback without one); UnsafeBind if the
    chat would face the network unprotected."""
    token = settings.web_token.get_secret_value() if settings.web_token else None
    if token is not None and len(token) < MIN_TOKEN_CHARS:
        raise UnsafeBind(f"AUDIOGPT_WEB_TOKEN is too short: use at least {MIN_TOKEN_CHARS} "
                         "random characters (e.g. `openssl rand -hex 16`).")
    if token is None and not is_loopback(settings.web_host):
        raise UnsafeBind(f"Refusing to serve the web chat on {settings.web_host} without a "
                         "token: set AUDIOGPT_WEB_TOKEN (e.g. `openssl rand -hex 16`), or bind "
                         "to 127.0.0.1.")
    return token


class Guard:
    """ASGI middleware: checks Host, Origin and token, and hardens every response."""

    def __init__(self, app: ASGIApp, token: str | None, loopback: bool) -> None:
        self.app, self.token, self.loopback = app, token, loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        send = adding_headers(send, HEADERS)
        if scope["type"] == "http" and scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        origin = headers.get("origin")
        if self.loopback and host.rsplit(":", 1)[0] not in LOOPBACK_NAMES:
            await _deny(scope, receive, send, 403, "Unknown host.")
        elif origin is not None and urlsplit(origin).netloc != host:
            await _deny(scope, receive, send, 403, "Cross-site requests are not allowed.")
        elif self.token is not None and not self._has_token(headers):
            await self._ask_for_token(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _has_token(self, headers: Headers) -> bool:
        assert self.token is not None
        given = cookie_parser(headers.get("cookie", "")).get(COOKIE, "")
        auth = headers.get("authorization", "")
        if auth.startswith("Bearer "):
            given = auth.removeprefix("Bearer ")
        return hmac.compare_digest(given.encode(), self.token.encode())

    async def _ask_for_token(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A page load with the right ?token= sets the cookie and drops the token from the
        address (and so from the history); anything else is refused."""
        assert self.token is not None
        query = parse_qsl(scope.get("query_string", b"").decode())
        given = dict(query).get("token", "")
        if scope["type"] == "http" and hmac.compare_digest(given.encode(), self.token.encode()):
            rest = urlencode([(k, v) for k, v in query if k != "token"])
            response = RedirectResponse(scope["path"] + (f"?{rest}" if rest else ""), 303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
        else:
            await _deny(scope, receive, send, 401,
                        "This chat needs its token: open it once with ?token=…")


async def _deny(scope: Scope, receive: Receive, send: Send, status: int, reason: str) -> None:
    if scope["type"] == "websocket":
        await WebSocketClose(code=1008)(scope, receive, send)  # the handshake answers 403
    else:
        await JSONResponse({"error": reason}, status)(scope, receive, send)


def adding_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """`send`, with these headers added to the response."""
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), *headers]
        await send(message)

    return wrapped
