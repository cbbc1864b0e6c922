"""The web chat's HTTP and WebSocket routes (Starlette): requests in, turns started.

Pages send with HTTP (uploads as raw bodies, messages and commands as JSON) and listen on
one WebSocket per open channel, which starts with the channel's history and then carries
every turn's events: `turn`, `progress`, `done`, `failed`, `voice`, `reset`. Commands typed
in the message box ("/voice on") go to their own route and are answered with a text. Turns in a
channel run one at a time, as in a group chat; different channels run side by side.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from bots import commands
from bots.base import Adapter
from bots.catalog import task_rows
from bots.web.browsers import browser_id
from bots.web.convert import Payload, Send, Typed, Voice, channel_id, channel_name, shown
from bots.web.send import Rooms
from bots.web.uploads import Staged, Staging, UploadRejected
from core_agent.config import Settings
from core_agent.metrics import exposition
from core_agent.preload import Preload
from core_agent.types import HANDLE, Message
from models.settings import ModelSettings

STATIC = Path(__file__).parent / "static"
MEDIA_TYPES = ("audio/", "video/", "image/")
MAX_JSON_BYTES = 256 * 1024  # a message's text is capped far below this by the agent
HISTORY_MESSAGES = 200  # what a page loads when it opens a channel
M = TypeVar("M", bound=BaseModel)
HOW = ("Type a request, attach or record audio, video or pictures, or both. Files are named "
       "a1, a2, …: say \"transcribe a2\", or press reply under a file and say what to do "
       "with it (\"make it slower\"). The voice toggle and the reset button do what /voice "
       "and /reset do.")


class Handlers:
    """Every route of the web chat, listed in `routes`."""

    def __init__(self, adapter: Adapter, settings: Settings, staging: Staging,
                 rooms: Rooms, preload: Preload) -> None:
        self.adapter, self.agent, self.settings = adapter, adapter.agent, settings
        self.staging, self.rooms, self.preload = staging, rooms, preload
        self.commands = commands.CommandSet(self.agent, adapter.turns, HOW)

    def routes(self) -> list[BaseRoute]:
        """The route table."""
        return [
            Route("/", self.page),
            Route("/healthz", self.healthz),
            Route("/metrics", self.metrics),
            Route("/api/config", self.config),
            Route("/api/tasks", self.tasks),
            Route("/api/channels", self.channels),
            Route("/api/uploads", self.upload, methods=["POST"]),
            Route("/api/channels/{name}/messages", self.send, methods=["POST"]),
            Route("/api/channels/{name}/commands", self.command, methods=["POST"]),
            Route("/api/channels/{name}/voice", self.voice, methods=["POST"]),
            Route("/api/channels/{name}/reset", self.reset, methods=["POST"]),
            Route("/api/channels/{name}/media/{handle}", self.media),
            WebSocketRoute("/api/channels/{name}/ws", self.room),
            Mount("/static", StaticFiles(directory=STATIC)),
        ]

    async def page(self, request: Request) -> Response:
        """The chat page."""
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    async def healthz(self, request: Request) -> Response:
        """200 while the database (and Redis, with workers) answer; 503 otherwise. `ready`
        once the first turns' models are loaded (turns are taken before: they wait for the
        load), `loading` what is not yet."""
        checks = {"database": await self.agent.memory.ping(),
                  **await self.agent.runner.health()}
        ok = all(checks.values())
        return JSONResponse({"ok": ok, **checks, **self.preload.health()}, 200 if ok else 503)

    async def metrics(self, request: Request) -> Response:
        """Prometheus metrics of this process, with the job queues' depths read now."""
        page, kind = exposition(await self.agent.runner.depths())
        return Response(page, headers={"content-type": kind})

    async def config(self, request: Request) -> Response:
        """What the page needs to know about this server."""
        return JSONResponse({"max_upload_bytes": self.settings.max_upload_bytes})

    async def tasks(self, request: Request) -> Response:
        """Every task, its backends, and whether each is installed (as `audiogpt tasks
        --json`)."""
        return JSONResponse(await asyncio.to_thread(task_rows, ModelSettings.of(self.settings)))

    async def channels(self, request: Request) -> Response:
        """The web chat's channels, oldest first."""
        ids = await self.agent.memory.channel_ids(self.adapter.platform)
        return JSONResponse({"channels": [channel_name(i) for i in ids]})

    async def upload(self, request: Request) -> Response:
        """Stage one file (the raw body); refused if too large or not media."""
        declared = request.headers.get("content-length")
        try:
            staged = await self.staging.receive(
                browser_id(request), request.query_params.get("name", "upload"),
                request.stream(), int(declared) if declared and declared.isdigit() else None)
        except UploadRejected as err:
            return JSONResponse({"error": err.message}, err.status)
        return JSONResponse({"id": staged.id, "name": staged.name, "kind": staged.kind,
                             "mime": staged.mime})

    async def send(self, request: Request) -> Response:
        """Start a turn with text and staged uploads; it reports over the channel's socket."""
        channel = _channel(request)
        body = await _body(request, Send)
        try:
            uploads = self.staging.take(list(dict.fromkeys(body.uploads)))
        except KeyError:
            return JSONResponse({"error": "That upload has expired; please attach it again."},
                                400)
        if not body.text.strip() and not uploads:
            return JSONResponse({"error": "Type something or attach a file."}, 400)
        replied = (await self.agent.memory.get_message(body.replying_to_message)
                   if body.replying_to_message else None)
        turn = self.submit(channel, browser_id(request), body.author.strip() or "guest",
                           body.text, uploads, [h for h in body.replying_to if HANDLE.match(h)],
                           replied.text if replied and replied.channel_id == channel else None)
        return JSONResponse({"turn": turn}, 202)

    async def command(self, request: Request) -> Response:
        """A command typed in the message box, answered with the text to show; what it
        changes (voice replies, a reset) is told to every page in the room."""
        channel = _channel(request)
        if (asked := commands.parse((await _body(request, Typed)).text)) is None:
            return JSONResponse({"error": self.commands.help()}, 400)
        name, words = asked
        answer = await self.commands.run(name, words, [channel], browser_id(request))
        if name == "reset":
            self.rooms.broadcast(channel, {"type": "reset"})
        elif name == "voice" and words in (["on"], ["off"], ["only"]):
            self.rooms.broadcast(channel, {"type": "voice", "on": words != ["off"]})
        return JSONResponse({"text": answer})

    async def voice(self, request: Request) -> Response:
        """Voice replies on or off for the channel (the toggle), told to its pages."""
        body = await _body(request, Voice)
        channel = _channel(request)
        await commands.set_voice(self.agent, self.adapter.platform, channel, body.on)
        self.rooms.broadcast(channel, {"type": "voice", "on": body.on})
        return JSONResponse({"voice_replies": body.on})

    async def reset(self, request: Request) -> Response:
        """Forget the channel's conversation and media (the button), and clear its pages."""
        channel = _channel(request)
        await commands.reset(self.agent, self.adapter.turns, channel)
        self.rooms.broadcast(channel, {"type": "reset"})
        return JSONResponse({"reset": True})

    async def media(self, request: Request) -> Response:
        """An artifact of the channel by handle; served as media, or as a download."""
        channel, handle = _channel(request), str(request.path_params["handle"])
        found = await self.agent.memory.artifact(channel, handle) \
            if HANDLE.match(handle) else None
        if found is None or not found.path.is_file():
            raise HTTPException(404, "No such file in this channel.")
        mime = found.mime if found.mime.startswith(MEDIA_TYPES) else "application/octet-stream"
        disposition = "attachment" if request.query_params.get("download") else "inline"
        return FileResponse(found.path, media_type=mime, content_disposition_type=disposition,
                            filename=f"{channel_name(channel)}-{handle}{found.path.suffix}")

    async def room(self, ws: WebSocket) -> None:
        """A page listening to a channel: its history, then every event as it happens."""
        if (channel := _channel_id(ws)) is None:
            await ws.close(1008)
            return
        await ws.accept()
        inbox: asyncio.Queue[Payload] = asyncio.Queue()
        self.rooms.join(channel, inbox)  # before loading history, so no event falls in between
        try:
            await ws.send_json(await self.history(channel))
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
            self.rooms.leave(channel, inbox)

    async def history(self, channel: str) -> Payload:
        """What a page shows on opening a channel: its stored messages and settings."""
        memory = self.agent.memory
        stored = await memory.channel(channel, self.adapter.platform, self.settings.voice_replies)
        messages = await memory.messages(channel, HISTORY_MESSAGES)
        return {"type": "history", "voice_replies": stored.voice_replies,
                "messages": [shown(channel, row, media) for row, media in messages]}

    def submit(self, channel: str, user_id: str, author: str, text: str,
               uploads: list[Staged], replying_to: list[str], replied_text: str | None = None
               ) -> str:
        """Start a turn for a browser (`user_id`), replying to files of the channel by
        handle or to the words of one of its messages; its progress and reply reach every
        page in the room. Returns its id."""
        turn = secrets.token_hex(8)
        message = Message(channel_id=channel, text=text, author=author, user_id=user_id,
                          platform=self.adapter.platform, platform_message_id=turn,
                          attachments=[u.attachment() for u in uploads],
                          replying_to=replying_to, replied_text=replied_text)
        self.rooms.broadcast(channel, {
            "type": "turn", "turn": turn, "author": author, "text": text,
            "files": [{"name": u.name, "kind": u.kind} for u in uploads]})
        self.adapter.turns.start(channel, self._turn(message, uploads))
        return turn

    async def _turn(self, message: Message, uploads: list[Staged]) -> None:
        turn = message.platform_message_id

        async def failed(text: str) -> None:
            self.rooms.broadcast(message.channel_id,
                                 {"type": "failed", "turn": turn, "error": text})

        try:
            async with self.adapter.turns.apologising(str(turn), failed):
                await self.adapter.respond(message)
        finally:
            self.staging.release(uploads)


def _channel_id(conn: HTTPConnection) -> str | None:
    """The channel the address names, None if the name is not a channel name."""
    return channel_id(str(conn.path_params["name"]))


def _channel(request: Request) -> str:
    if (found := _channel_id(request)) is None:
        raise HTTPException(404, "No such channel.")
    return found


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


ERRORS = {HTTPException: _error, ClientDisconnect: _gone}  # the app's exception handlers
