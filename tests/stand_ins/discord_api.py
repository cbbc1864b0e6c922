"""Discord's REST API, gateway and CDN on 127.0.0.1, recording what the bot sends.

    async with DiscordStandIn(PAYLOADS) as discord_:
        settings = ...(discord_api_url=discord_.api_url, discord_gateway_url=discord_.gateway_url)
        ...  # the real discord.py client logs in, connects and syncs commands here
        await discord_.dispatch("MESSAGE_CREATE", payload)
        sent = await discord_.wait_for("POST", "/channels/1/messages")

The gateway speaks JSON text frames (HELLO, IDENTIFY, READY, GUILD_CREATE, heartbeats,
then whatever the test dispatches); REST answers in Discord's documented shapes, with
multipart bodies (payload_json + files[n]) taken apart for the test to read. REST refuses as
Discord does what its OpenAPI description (`discord_spec`) rules out: a route it lacks (404),
another method (405), a body that breaks the route's schema (400, code 50035), and a voice
message (flags 8192) that Discord would not take: with more than its one file (50159), without
exactly one file part declared `audio/...` (50160), without `duration_secs` and `waveform`
(50161), or in a channel of `no_voice_messages` (50173). A request over `request_limit` bytes
(25 MiB, an unboosted guild's) is refused whole: 413, code 40005.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import BodyPartReader, WSMsgType, web

from tests.stand_ins import discord_spec
from tests.stand_ins.loopback import serve

API = "/api/v10"
REQUEST_LIMIT = 25 * 2**20  # bytes in one request, all its files together
VOICE_FLAG = 1 << 13  # IS_VOICE_MESSAGE
VOICE_REFUSALS = {  # Discord's JSON error codes for voice messages
    50159: "Voice messages do not support additional content.",
    50160: "Voice messages must have a single audio attachment.",
    50161: "Voice messages must have supporting metadata.",
    50173: "Cannot send voice messages in this channel.",
}
SNOWFLAKES = itertools.count(1_950_000_000_000_000_001)
Json = dict[str, Any]


@dataclass
class Upload:
    """A file in a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Recorded:
    """One REST request as the bot made it."""

    method: str
    path: str  # without the /api/v10 prefix
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = field(default_factory=dict)  # JSON, or a multipart request's payload_json
    files: list[Upload] = field(default_factory=list)
    status: int = 0  # the HTTP status it was answered with
    answer: Any = None  # the JSON it was answered with (a posted message's id, ...)
    size: int = 0  # bytes in the body


def _json(data: Any, status: int = 200) -> web.Response:
    """JSON as Discord sends it: discord.py wants exactly "application/json", no charset."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        content_type="application/json")


class DiscordStandIn:
    """The parts of Discord a bot talks to."""

    def __init__(self, payloads: Path) -> None:
        self.payloads = payloads
        self.requests: list[Recorded] = []
        self.cdn: dict[str, bytes] = {}  # path under /cdn/ -> bytes
        self.identify: Json | None = None
        self.no_voice_messages: set[str] = set()  # channel ids where voice messages are off
        self.request_limit = REQUEST_LIMIT
        self._changed = asyncio.Condition()
        self._socket: web.WebSocketResponse | None = None
        self._seq = 0
        app = web.Application(client_max_size=64 * 2**20)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/cdn/{path:.*}", self._file)
        app.router.add_route("*", API + "/{path:.*}", self._rest)
        self._app = app
        self.port = 0

    async def __aenter__(self) -> DiscordStandIn:
        self._runner, self.port = await serve(self._app)
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None
                        ) -> None:
        if self._socket is not None:
            await self._socket.close()
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    @property
    def cdn_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cdn"

    def payload(self, name: str) -> Json:
        """A recorded payload with this server's addresses filled in."""
        text = (self.payloads / f"{name}.json").read_text()
        text = text.replace("{cdn}", self.cdn_url).replace("{gateway}", self.gateway_url)
        return dict(json.loads(text))

    async def dispatch(self, event: str, data: Json) -> None:
        """Send a gateway event (op 0) to the connected bot."""
        assert self._socket is not None, "the bot is not connected"
        self._seq += 1
        await self._socket.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def wait_for(self, method: str, pattern: str, count: int = 1,
                       where: Callable[[Recorded], bool] = lambda r: True,
                       within: float = 120.0) -> list[Recorded]:
        """The first `count` requests whose path matches (a regular expression) and `where`."""
        def found() -> list[Recorded]:
            return [r for r in self.requests
                    if r.method == method and re.fullmatch(pattern, r.path) and where(r)]

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(found()) >= count),
                                   within)
        return found()[:count]

    # gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41_250}, "s": None,
                                "t": None})
        async for frame in socket:
            if frame.type != WSMsgType.TEXT:
                continue
            message = json.loads(frame.data)
            if message["op"] == 1:
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif message["op"] == 2:
                self.identify = message["d"]
                await self.dispatch("READY", self.payload("ready"))
                await self.dispatch("GUILD_CREATE", self.payload("guild_create"))
        return socket

    # REST and CDN

    async def _file(self, request: web.Request) -> web.Response:
        data = self.cdn.get(request.match_info["path"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        recorded = Recorded(request.method, path, dict(request.query), dict(request.headers),
                            size=request.content_length or 0)
        if request.content_type == "multipart/form-data":
            await self._read_parts(request, recorded)
        elif request.can_read_body:
            recorded.body = await request.json()
        answer = self._refusal(recorded) or self._answer(recorded)
        recorded.status = answer.status
        if isinstance(answer, web.Response) and isinstance(answer.body, bytes) and \
                answer.content_type == "application/json":
            recorded.answer = json.loads(answer.body)
        async with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()
        return answer

    @staticmethod
    async def _read_parts(request: web.Request, recorded: Recorded) -> None:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            if part.name == "payload_json":
                recorded.body = json.loads(await part.text())
            else:
                recorded.files.append(Upload(
                    part.filename or "", part.headers.get("Content-Type", ""),
                    bytes(await part.read())))

    def _refusal(self, r: Recorded) -> web.Response | None:
        """Discord's answer to a request its API description rules out."""
        if r.size > self.request_limit:
            return _json({"code": 40005, "message": "Request entity too large"}, status=413)
        routes = discord_spec.routes_at(r.path)
        route = next((x for x in routes if x.method == r.method), None)
        if route is None:
            return _json({"message": f"{405 if routes else 404}: "
                                     f"{'Method Not Allowed' if routes else 'Not Found'}",
                          "code": 0}, status=405 if routes else 404)
        if errors := route.form_errors(r.body):
            return _json({"code": 50035, "errors": errors, "message": "Invalid Form Body"},
                         status=400)
        voice = route.operation == "create_message" and (r.body.get("flags") or 0) & VOICE_FLAG
        if voice and (code := self._voice_refusal(r)):
            return _json({"code": code, "message": VOICE_REFUSALS[code]}, status=400)
        return None

    def _voice_refusal(self, r: Recorded) -> int | None:
        """Why Discord would not post this voice message, if it would not."""
        if r.path.split("/")[2] in self.no_voice_messages:  # /channels/{channel_id}/messages
            return 50173
        if any(r.body.get(k) for k in ("content", "embeds", "components", "sticker_ids", "poll")):
            return 50159
        if len(r.files) != 1 or not r.files[0].content_type.startswith("audio/"):
            return 50160
        meta = r.body.get("attachments") or [{}]
        if meta[0].get("duration_secs") is None or not meta[0].get("waveform"):
            return 50161
        return None

    def _answer(self, r: Recorded) -> web.StreamResponse:
        application = self.payload("application")
        if r.method == "GET" and r.path == "/users/@me":
            return _json(self.payload("ready")["user"])
        if r.method == "GET" and r.path == "/oauth2/applications/@me":
            return _json(application)
        if r.method == "PUT" and r.path.endswith("/commands"):
            return _json([
                {**c, "id": str(next(SNOWFLAKES)), "application_id": application["id"],
                 "version": "1"} for c in r.body])
        if m := re.fullmatch(r"/interactions/(\d+)/[^/]+/callback", r.path):
            return _json({
                "interaction": {"id": m.group(1), "type": 2, "response_message_loading": True,
                                "response_message_ephemeral": False},
                "resource": {"type": r.body.get("type", 5)}})
        if m := re.fullmatch(r"/channels/(\d+)/messages(?:/\d+)?", r.path):
            if r.method == "DELETE":
                return web.Response(status=204)
            return _json(self.message(m.group(1), r))
        if re.fullmatch(r"/webhooks/\d+/[^/]+(?:/messages/@original)?", r.path):
            return _json(self.message(self.payload("guild_create")["channels"][0]
                                                  ["id"], r))
        assert r.path.endswith("/typing"), r.path  # a route of the spec this stand-in lacks
        return web.Response(status=204)

    def message(self, channel_id: str, r: Recorded) -> Json:
        """A message object as Discord returns it for a create or an edit."""
        bot = self.payload("ready")["user"]
        ident = str(next(SNOWFLAKES))
        return {
            "id": ident, "channel_id": channel_id, "author": bot,
            "content": r.body.get("content") or "", "timestamp": "2026-02-01T12:00:30+00:00",
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "embeds": [], "pinned": False, "type": 0,
            "flags": r.body.get("flags", 0), "components": [],
            "attachments": [
                {"id": str(next(SNOWFLAKES)), "filename": f.filename, "size": len(f.data),
                 "url": f"{self.cdn_url}/attachments/{channel_id}/{ident}/{f.filename}",
                 "proxy_url": f"{self.cdn_url}/attachments/{channel_id}/{ident}/{f.filename}",
                 "content_type": f.content_type} for f in r.files],
        }
