"""The web chat's HTTP and WebSocket routes (Starlette), behind the Guard.

Pages send with HTTP (uploads as raw bodies, messages and commands as JSON) and listen on
one WebSocket per open channel, which starts with the channel's history and then carries
every turn's events: `turn`, `progress`, `done`, `failed`, `voice`, `reset`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, Field, ValidationError
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from bots.catalog import task_rows
from bots.web.browsers import Browsers, browser_id
from bots.web.security import Guard
from bots.web.uploads import UploadRejected
from core_agent.metrics import exposition
from core_agent.types import HANDLE

if TYPE_CHECKING:
    from bots.web.adapter import Payload, WebChat

STATIC = Path(__file__).parent / "static"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MEDIA_TYPES = ("audio/", "video/", "image/")
MAX_JSON_BYTES = 256 * 1024  # a message's text is capped far below this by the agent
HEALTH_TIMEOUT = 2.0  # seconds /healthz waits for Redis
M = TypeVar("M", bound=BaseModel)


class Send(BaseModel):
    """A message from the page: text, uploads by id, and who wrote it."""

    text: str = ""
    author: str = Field("guest", min_length=1, max_length=40)
    uploads: list[str] = Field(default_factory=list, max_length=10)


class Voice(BaseModel):
    """Voice replies on or off."""

    on: bool


def build_app(chat: WebChat, token: str | None, loopback: bool) -> Starlette:
    """The ASGI app for one WebChat."""
    routes = [
        Route("/", page),
        Route("/healthz", healthz),
        Route("/metrics", metrics),
        Route("/api/config", config),
        Route("/api/tasks", tasks),
        Route("/api/channels", channels),
        Route("/api/uploads", upload, methods=["POST"]),
        Route("/api/channels/{name}/messages", send, methods=["POST"]),
        Route("/api/channels/{name}/voice", voice, methods=["POST"]),
        Route("/api/channels/{name}/reset", reset, methods=["POST"]),
        Route("/api/channels/{name}/media/{handle}", media),
        WebSocketRoute("/api/channels/{name}/ws", room),
        Mount("/static", StaticFiles(directory=STATIC)),
    ]
    app = Starlette(routes=routes,
                    exception_handlers={HTTPException: _error, ClientDisconnect: _gone},
                    middleware=[Middleware(Guard, token=token, loopback=loopback),
                                Middleware(Browsers)])
    app.state.chat = chat
    return app


def _chat(conn: HTTPConnection) -> WebChat:
    chat: WebChat = conn.app.state.chat
    return chat


def _channel_id(conn: HTTPConnection) -> str | None:
    """The channel the address names, None if the name is not a channel name."""
    name = str(conn.path_params["name"])
    return f"web:{name}" if CHANNEL_NAME.match(name) else None


def _channel(request: Request) -> str:
    if (channel_id := _channel_id(request)) is None:
        raise HTTPException(404, "No such channel.")
    return channel_id


async def page(request: Request) -> Response:
    """The chat page."""
    return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})


async def healthz(request: Request) -> Response:
    """200 while the database (and Redis, with workers) answer; 503 otherwise."""
    chat = _chat(request)
    checks = {"database": await asyncio.to_thread(_database_ok, chat)}
    pool = getattr(chat.agent.runner, "pool", None)  # the ArqRunner's Redis
    if pool is not None:
        try:
            checks["redis"] = bool(await asyncio.wait_for((await pool()).ping(), HEALTH_TIMEOUT))
        except (RedisError, OSError, TimeoutError):
            checks["redis"] = False
    ok = all(checks.values())
    return JSONResponse({"ok": ok, **checks}, 200 if ok else 503)


def _database_ok(chat: WebChat) -> bool:
    try:
        with chat.agent.memory.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


async def metrics(request: Request) -> Response:
    """Prometheus metrics of this process, with the job queues' depths read now."""
    depths = getattr(_chat(request).agent.runner, "depths", None)
    page, kind = exposition(await depths() if depths is not None else None)
    return Response(page, headers={"content-type": kind})


async def config(request: Request) -> Response:
    """What the page needs to know about this server."""
    return JSONResponse({"max_upload_bytes": _chat(request).settings.max_upload_bytes})


async def tasks(request: Request) -> Response:
    """Every task, its backends, and whether each is installed (as `audiogpt tasks --json`)."""
    return JSONResponse(await asyncio.to_thread(task_rows, _chat(request).settings.models_dir))


async def channels(request: Request) -> Response:
    """The web chat's channels, oldest first."""
    chat = _chat(request)
    ids = await chat.agent.memory.channel_ids(chat.platform)
    return JSONResponse({"channels": [i.removeprefix("web:") for i in ids]})


async def upload(request: Request) -> Response:
    """Stage one file (the raw body); refused if too large or not media."""
    declared = request.headers.get("content-length")
    try:
        staged = await _chat(request).staging.receive(
            browser_id(request), request.query_params.get("name", "upload"), request.stream(),
            int(declared) if declared and declared.isdigit() else None)
    except UploadRejected as err:
        return JSONResponse({"error": err.message}, err.status)
    return JSONResponse({"id": staged.id, "name": staged.name, "kind": staged.kind,
                         "mime": staged.mime})


async def send(request: Request) -> Response:
    """Start a turn with text and staged uploads; it reports over the channel's socket."""
    channel_id, chat = _channel(request), _chat(request)
    body = await _body(request, Send)
    try:
        uploads = chat.staging.take(list(dict.fromkeys(body.uploads)))
    except KeyError:
        return JSONResponse({"error": "That upload has expired; please attach it again."}, 400)
    if not body.text.strip() and not uploads:
        return JSONResponse({"error": "Type something or attach a file."}, 400)
    turn = chat.submit(channel_id, browser_id(request), body.author.strip() or "guest",
                       body.text, uploads)
    return JSONResponse({"turn": turn}, 202)


async def voice(request: Request) -> Response:
    """Voice replies on or off for the channel."""
    body = await _body(request, Voice)
    await _chat(request).set_voice(_channel(request), body.on)
    return JSONResponse({"voice_replies": body.on})


async def reset(request: Request) -> Response:
    """Forget the channel."""
    await _chat(request).reset(_channel(request))
    return JSONResponse({"reset": True})


async def media(request: Request) -> Response:
    """An artifact of the channel by handle; served as media, or as a download."""
    channel_id, handle = _channel(request), str(request.path_params["handle"])
    found = await _chat(request).agent.memory.artifact(channel_id, handle) \
        if HANDLE.match(handle) else None
    if found is None or not found.path.is_file():
        raise HTTPException(404, "No such file in this channel.")
    mime = found.mime if found.mime.startswith(MEDIA_TYPES) else "application/octet-stream"
    disposition = "attachment" if request.query_params.get("download") else "inline"
    return FileResponse(found.path, media_type=mime, content_disposition_type=disposition,
                        filename=f"{channel_id.removeprefix('web:')}-{handle}{found.path.suffix}")


async def room(ws: WebSocket) -> None:
    """A page listening to a channel: its history, then every event as it happens."""
    if (channel_id := _channel_id(ws)) is None:
        await ws.close(1008)
        return
    chat = _chat(ws)
    await ws.accept()
    inbox: asyncio.Queue[Payload] = asyncio.Queue()
    chat.join(channel_id, inbox)  # before loading history, so no event falls in between
    try:
        await ws.send_json(await chat.history(channel_id))
        sender = asyncio.create_task(_forward(ws, inbox))
        try:
            async for _ in ws.iter_text():  # the page only listens; this sees it leave
                pass
        finally:
            sender.cancel()
            # a page that went away mid-send ends the sender with its own error
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, OSError,
                                     RuntimeError):
                await sender
    finally:
        chat.leave(channel_id, inbox)


async def _forward(ws: WebSocket, inbox: asyncio.Queue[Payload]) -> None:
    while True:
        await ws.send_json(await inbox.get())


async def _body(request: Request, model: type[M]) -> M:
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise HTTPException(413, "That request is too large.")
    try:
        return model.model_validate_json(raw)
    except ValidationError as err:
        raise HTTPException(400, "; ".join(e["msg"] for e in err.errors())) from err


async def _error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, exc.status_code)


async def _gone(request: Request, exc: Exception) -> Response:
    """The client left (or was cut off, too slow) before its request was in: no one reads
    this answer."""
    return Response(status_code=400)
