"""The Telegram Bot API on 127.0.0.1: methods at /bot<token>/<method>, files at
/file/bot<token>/<path>, as the real servers speak them, for the real python-telegram-bot.

    async with TelegramStandIn(token) as api:
        file = api.add_file(path)                      # something a user uploaded
        api.push(api.user_message(chat, user, voice=file))  # an update for getUpdates
        api.fail("sendVoice", TooMany(retry_after=1))  # the next sendVoice answers 429
        api.forbid_voice_messages(chat)                # a user's privacy setting
        api.restrict(group, "voice", "audio")          # a group's permissions
        ...                                            # point the bot at api.base_url
        await api.wait_for("sendVoice")                # recorded calls, uploads included

Updates are held until a getUpdates call confirms them with a higher offset, as Telegram
does, so an answer lost on the way is served again. Every call is checked against the Bot
API spec (`telegram_spec.py`) and refused as Telegram refuses it: an unknown method, a
missing parameter, a value of the wrong type.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import re
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from PIL import Image

from tests.stand_ins import telegram_spec
from tests.stand_ins.loopback import serve

BOT_ID = 7_000_001
BOT_USERNAME = "audiogpt_test_bot"
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes: getFile refuses bigger files, as Telegram does
MEDIA = {"sendVoice": "voice", "sendAudio": "audio", "sendVideo": "video",
         "sendVideoNote": "video_note", "sendPhoto": "photo", "sendDocument": "document"}
MAX_BODY = 200 * 1024 * 1024  # bytes
PHOTO_LIMIT = 10 * 1024 * 1024  # bytes: TDLib's cap on a photo, whatever the server
PHOTO_SIDES, PHOTO_RATIO = 10_000, 20  # pixels in width and height together; their ratio
# What a group's permissions name each kind of media, in TDLib's refusal.
RIGHTS = {"voice": "voice notes", "audio": "music", "video": "videos",
          "video_note": "video notes", "photo": "photos", "document": "documents"}


@dataclass(frozen=True)
class TooMany:
    """A 429 flood-control answer."""

    retry_after: int = 1


@dataclass(frozen=True)
class Drop:
    """The connection closes before any answer."""


@dataclass(frozen=True)
class Late:
    """The call is carried out, but answered only after this many seconds (a slow upload
    that landed)."""

    seconds: float


@dataclass(frozen=True)
class Refused:
    """What Telegram answered instead of carrying the call out."""

    code: int
    description: str


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One Bot API request as it arrived."""

    method: str
    params: dict[str, Any]
    files: dict[str, Upload] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    result: Any = None

    def json(self, name: str) -> Any:
        """A parameter sent as JSON (reply_parameters, entities, ...)."""
        return json.loads(self.params[name])


class TelegramStandIn:
    """The Bot API for one bot token; runs on the test's event loop."""

    def __init__(self, token: str, local: bool = False) -> None:
        self.token, self.local = token, local
        self.calls: list[Call] = []
        self.downloads: list[str] = []
        self.posted: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) -> message
        self._files: dict[str, Path] = {}
        self._faults: dict[str, deque[TooMany | Drop | Late]] = defaultdict(deque)
        self._no_voice: set[int] = set()  # chats whose user forbids voice messages
        self._restricted: dict[int, set[str]] = defaultdict(set)  # chat -> media kinds
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(
            lambda: itertools.count(1000))
        self._changed = asyncio.Event()  # replaced after each change; waiters re-check
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> TelegramStandIn:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(f"/bot{self.token}/{{method}}", self._method)
        app.router.add_get(f"/file/bot{self.token}/{{path:.+}}", self._download)
        self._runner, port = await serve(app)
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        tb: TracebackType | None) -> None:
        assert self._runner is not None
        self._closing = True  # long polls answer now
        self._notify()
        await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """What python-telegram-bot's `base_url` takes."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What its `base_file_url` takes."""
        return f"{self.url}/file/bot"

    # what the test sets up

    def add_file(self, path: Path) -> dict[str, Any]:
        """A file on Telegram's side; returns its id fields, as a message carries them."""
        file_id = f"file-{len(self._files) + 1}"
        self._files[file_id] = path
        return {"file_id": file_id, "file_unique_id": f"u{file_id}",
                "file_size": path.stat().st_size}

    def push(self, message: dict[str, Any]) -> int:
        """Queue a message as an update; returns its update id."""
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, "message": message})
        self._notify()
        return update_id

    def fail(self, method: str, *faults: TooMany | Drop | Late) -> None:
        """The next calls of a method meet these faults, in order."""
        self._faults[method].extend(faults)

    def forbid_voice_messages(self, chat_id: int) -> None:
        """The user's privacy settings refuse voice and round video messages from bots."""
        self._no_voice.add(chat_id)

    def restrict(self, chat_id: int, *kinds: str) -> None:
        """The group doesn't let members send these kinds of media (keys of RIGHTS)."""
        assert set(kinds) <= set(RIGHTS), kinds
        self._restricted[chat_id].update(kinds)

    def user_message(self, chat: dict[str, Any], user: dict[str, Any], text: str = "",
                     **fields: Any) -> dict[str, Any]:
        """A message from a user, numbered in its chat (caption instead of text with media)."""
        message = {"message_id": next(self._message_ids[chat["id"]]), "date": int(time.time()),
                   "chat": chat, "from": user, **fields}
        if text:
            media = bool(set(fields) & set(MEDIA.values()))
            message["caption" if media else "text"] = text
            if found := _entities(text):  # as Telegram marks them
                message["caption_entities" if media else "entities"] = found
        return message

    @property
    def pending(self) -> int:
        """Updates not yet confirmed by a getUpdates offset."""
        return len(self._updates)

    # what the test reads

    def sent(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, within: float = 90.0) -> list[Call]:
        """Wait (up to `within` seconds) until a method was called `count` times; returns
        those calls."""
        async with asyncio.timeout(within):
            await self._until(lambda: len(self.sent(method)) >= count)
        return self.sent(method)

    # the server

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _until(self, ready: Callable[[], bool]) -> None:
        while not ready():
            await self._changed.wait()

    async def _method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        files: dict[str, Upload] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = Upload(value.filename, value.content_type, value.file.read())
            else:
                params[name] = value
        fault = self._faults[method].popleft() if self._faults[method] else None
        if isinstance(fault, TooMany | Drop):
            self.calls.append(Call(method, params, files, result=fault))
            self._notify()
            if isinstance(fault, Drop):
                assert request.transport is not None
                request.transport.abort()
                return web.Response()
            return _error(429, f"Too Many Requests: retry after {fault.retry_after}",
                          {"retry_after": fault.retry_after})
        call = Call(telegram_spec.method_name(method) or method, params, files)
        if (refused := self._refusal(call)) is not None:
            call.result = refused
            self.calls.append(call)
            self._notify()
            return _error(refused.code, refused.description)
        answer = await getattr(self, f"_{call.method}")(call)
        call.result = answer
        self.calls.append(call)
        self._notify()
        if isinstance(answer, Refused):
            return _error(answer.code, answer.description)
        if isinstance(fault, Late):
            await asyncio.sleep(fault.seconds)
        return web.json_response({"ok": True, "result": answer})

    def _refusal(self, call: Call) -> Refused | None:
        """What the real server says to a call it won't carry out."""
        if telegram_spec.method_name(call.method) is None:
            return Refused(404, "Not Found: method not found")
        if not hasattr(self, f"_{call.method}"):
            raise NotImplementedError(f"the Telegram stand-in serves no {call.method}")
        if (wrong := telegram_spec.refusal(call.method, call.params, call.files)) is not None:
            return Refused(400, wrong)
        return None

    async def _download(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        file_id = path.split("/", 1)[0]
        if file_id not in self._files:
            return web.Response(status=404)
        self.downloads.append(file_id)
        return web.FileResponse(self._files[file_id])

    async def _getMe(self, call: Call) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "AudioGPT",
                "username": BOT_USERNAME, "can_join_groups": True,
                "can_read_all_group_messages": True, "supports_inline_queries": False}

    async def _getUpdates(self, call: Call) -> list[dict[str, Any]]:
        offset = int(call.params.get("offset", 0))
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._until(lambda: bool(self._updates) or self._closing),
                                   float(call.params.get("timeout", 0)))
        return list(self._updates[:int(call.params.get("limit", 100))])

    async def _getFile(self, call: Call) -> dict[str, Any] | Refused:
        file_id = call.params["file_id"]
        path = self._files.get(file_id)
        if path is None:
            return Refused(400, "Bad Request: invalid file_id")
        size = path.stat().st_size
        if size > DOWNLOAD_LIMIT and not self.local:
            return Refused(400, "Bad Request: file is too big")
        where = str(path.resolve()) if self.local else f"{file_id}/{path.name}"
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": where}

    async def _post(self, call: Call, **content: Any) -> dict[str, Any]:
        chat_id = int(call.params["chat_id"])
        message = {"message_id": next(self._message_ids[chat_id]), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                   "from": {"id": BOT_ID, "is_bot": True, "first_name": "AudioGPT",
                            "username": BOT_USERNAME}, **content}
        if "message_thread_id" in call.params:
            message |= {"message_thread_id": int(call.params["message_thread_id"]),
                        "is_topic_message": True}
        self.posted[chat_id, message["message_id"]] = message
        return message

    async def _sendMessage(self, call: Call) -> dict[str, Any]:
        return await self._post(call, text=call.params["text"])

    async def _editMessageText(self, call: Call) -> dict[str, Any]:
        key = int(call.params["chat_id"]), int(call.params["message_id"])
        self.posted[key]["text"] = call.params["text"]
        return self.posted[key]

    async def _deleteMessage(self, call: Call) -> bool:
        return self.posted.pop((int(call.params["chat_id"]), int(call.params["message_id"])),
                               None) is not None

    async def _sendChatAction(self, call: Call) -> bool:
        return True

    async def _setMyCommands(self, call: Call) -> bool:
        return True

    async def _deleteWebhook(self, call: Call) -> bool:
        return True

    async def _setWebhook(self, call: Call) -> bool:
        return True

    async def _send_media(self, call: Call) -> dict[str, Any] | Refused:
        kind = MEDIA[call.method]
        upload = call.files.get(kind)
        size = len(upload.data) if upload else 0
        if (refused := self._media_refusal(int(call.params["chat_id"]), kind, upload)) is not None:
            return refused
        media: Any = {"file_id": f"sent-{len(self.calls)}", "file_unique_id": f"s{len(self.calls)}",
                      "file_size": size}
        if kind in ("voice", "audio", "video", "video_note"):
            media["duration"] = int(call.params.get("duration", 0))
        if kind in ("video", "photo"):
            media |= {"width": 1, "height": 1}
        if kind == "video_note":
            media["length"] = int(call.params.get("length", 1))
        content = {kind: [media] if kind == "photo" else media}
        if "caption" in call.params:
            content["caption"] = call.params["caption"]
        return await self._post(call, **content)

    def _media_refusal(self, chat_id: int, kind: str, upload: Upload | None) -> Refused | None:
        size = len(upload.data) if upload else 0
        if kind in ("voice", "video_note") and chat_id in self._no_voice:
            return Refused(400, "Bad Request: VOICE_MESSAGES_FORBIDDEN")
        if kind in self._restricted[chat_id]:
            return Refused(400, f"Bad Request: not enough rights to send {RIGHTS[kind]} to the "
                                "chat")
        if kind == "photo" and size > PHOTO_LIMIT:
            return Refused(400, f"Bad Request: file of size {size} bytes is too big for a "
                                f"photo; the maximum size is {PHOTO_LIMIT} bytes")
        if kind == "photo" and upload is not None:
            width, height = Image.open(io.BytesIO(upload.data)).size
            if width + height > PHOTO_SIDES or max(width, height) > PHOTO_RATIO * min(
                    width, height):
                return Refused(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return None

    _sendVoice = _sendAudio = _sendVideo = _sendVideoNote = _sendPhoto = _sendDocument = (
        _send_media)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None
           ) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _entities(text: str) -> list[dict[str, Any]]:
    """@mentions anywhere, and a /command at the start (offsets in UTF-16 units)."""
    found = [{"type": "mention", "offset": _utf16(text[:m.start()]), "length": _utf16(m[0])}
             for m in re.finditer(r"@\w{5,32}", text)]
    if m := re.match(r"/\w+(@\w+)?", text):
        found.insert(0, {"type": "bot_command", "offset": 0, "length": _utf16(m[0])})
    return found


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
