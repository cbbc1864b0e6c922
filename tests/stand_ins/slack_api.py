"""Slack's side of a conversation, on 127.0.0.1: the Web API for the real slack-sdk (pointed
at it by base_url), private file downloads, the external-upload URLs, response_url, the
Socket Mode WebSocket, and signed deliveries of events and slash commands to an app.

    async with SlackStandIn(BOT_TOKEN, SECRET, app_token=APP_TOKEN) as slack:
        file_id = slack.host_file(path, "audio/webm", subtype="slack_audio")
        event = slack.user_message("C1", "<@UBOT> hi", files=[file_id])
        await slack.send_event(app_url, mention(event))
        await slack.wait_for(lambda: slack.reactions("C1", event["ts"]) == ["white_check_mark"])

Like Slack, every Web API answer is HTTP 200 with {"ok": false, "error": ...} on failure
(429 with Retry-After when rate-limited), each call is held to the method's rules from
slack-sdk's signatures and Slack's documented limits (slack_spec.py), and tokens are checked
on every call and on downloads (a sign-in page without one).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

from tests.stand_ins import slack_spec
from tests.stand_ins.loopback import serve

TEAM, BOT_USER, BOT_ID = "T0STANDIN", "U0AUDIOGPT", "B0AUDIOGPT"
WAIT = 120.0  # seconds a test waits for something the app does (real models on a busy CPU)
ACK_WAIT = 3.0  # seconds Slack waits for an envelope's ack
RETRY_AFTER = 1  # seconds a rate-limited call is told to wait
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SIGN_IN_PAGE = "<!DOCTYPE html><html><body>Sign in to Slack</body></html>"


@dataclass
class Call:
    """One Web API call as the stand-in received it."""

    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class Hosted:
    """A file a user shared, as files.info describes it, and its bytes."""

    info: dict[str, Any]
    data: bytes


@dataclass
class Upload:
    """A file the app uploaded through files.getUploadURLExternal."""

    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    shares: list[dict[str, Any]] = field(default_factory=list)


def mention(event: dict[str, Any]) -> dict[str, Any]:
    """The app_mention event Slack sends for the same message."""
    return {k: v for k, v in event.items() if k not in ("channel_type", "subtype")} | {
        "type": "app_mention"}


class SlackStandIn:
    """Records every call; `messages`, `uploads`, `reactions()` are what users would see."""

    def __init__(self, bot_token: str, signing_secret: str, app_token: str | None = None
                 ) -> None:
        self.bot_token, self.secret, self.app_token = bot_token, signing_secret, app_token
        self.calls: list[Call] = []
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}  # (channel, ts) -> message
        self.files: dict[str, Hosted] = {}
        self.uploads: dict[str, Upload] = {}
        self.responses: list[dict[str, Any]] = []  # posts to response_url
        self.downloads: list[tuple[str, bool]] = []  # file id, whether the bot token came
        self.refused: dict[str, str] = {}  # channel -> why the app can't use it (slack_spec)
        self.rate_limited: dict[str, int] = {}  # method -> how many calls to answer 429
        self.uploads_disabled = False  # the workspace turned file uploads off
        self.acks: dict[str, dict[str, Any]] = {}  # Socket Mode envelope id -> the app's ack
        self._reactions: dict[tuple[str, str], list[str]] = {}
        self._socket: web.WebSocketResponse | None = None
        self._changed = asyncio.Event()  # set on every request the app makes
        self._seq = itertools.count(1)
        app = web.Application(client_max_size=64 * 2**20, middlewares=[self._noted])
        app.add_routes([web.route("*", "/api/{method}", self._api),
                        web.post("/upload/{file_id}", self._upload),
                        web.get("/files-pri/{team_file}/{tail:.+}", self._download),
                        web.post("/response/{n}", self._response),
                        web.get("/socket", self._socket_mode)])
        self._app = app
        self.base = ""

    async def __aenter__(self) -> SlackStandIn:
        self._runner, port = await serve(self._app)
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._socket is not None:
            await self._socket.close()
        await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The Web API's base URL, for AsyncWebClient(base_url=...)."""
        return f"{self.base}/api/"

    @property
    def files_url(self) -> str:
        """Where private files are downloaded from."""
        return f"{self.base}/files-pri/"

    # what tests read

    def called(self, method: str) -> list[Call]:
        """The calls of one Web API method, in order."""
        return [c for c in self.calls if c.method == method]

    def reactions(self, channel: str, ts: str) -> list[str]:
        """The bot's reactions on a message, as shown now."""
        return list(self._reactions.get((channel, ts), []))

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The bot's messages in a thread, oldest first, with their latest text."""
        return [m for (c, _), m in sorted(self.messages.items(), key=lambda kv: kv[0][1])
                if c == channel and m.get("thread_ts") == thread_ts and m.get("bot_id")]

    async def wait_for(self, done: Callable[[], object]) -> None:
        """Until what the stand-in has seen satisfies `done` (checked after each request)."""
        async with asyncio.timeout(WAIT):
            while not done():
                self._changed.clear()
                await self._changed.wait()

    # what users do

    def _ts(self) -> str:
        return f"{1_700_000_000 + next(self._seq)}.{next(self._seq):06d}"

    def host_file(self, path: Path, mimetype: str, *, name: str | None = None,
                  subtype: str | None = None, url: str | None = None) -> str:
        """A file shared by a user; its id, as a message's `files` entry carries it."""
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        name = name or path.name
        data = path.read_bytes()
        link = url or f"{self.files_url}{TEAM}-{file_id}/download/{name}"
        self.files[file_id] = Hosted({
            "id": file_id, "name": name, "title": name, "mimetype": mimetype,
            "filetype": Path(name).suffix.lstrip("."), "size": len(data), "mode": "hosted",
            "url_private": link.replace("/download/", "/"), "url_private_download": link,
            **({"subtype": subtype, "media_display_type": mimetype.split("/")[0]}
               if subtype else {})}, data)
        return file_id

    def user_message(self, channel: str, text: str, *, user: str = "U0ANA",
                     thread_ts: str | None = None, files: list[str] | None = None,
                     channel_type: str = "channel") -> dict[str, Any]:
        """A person posts; the `message` event Slack would send for it."""
        ts = self._ts()
        event: dict[str, Any] = {
            "type": "message", "channel": channel, "user": user, "text": text, "ts": ts,
            "team": TEAM, "channel_type": channel_type, "client_msg_id": str(uuid.uuid4()),
            "event_ts": ts}
        if thread_ts:
            event["thread_ts"] = thread_ts
        if files:
            event["subtype"] = "file_share"
            event["files"] = [{"id": f, "name": self.files[f].info["name"]} for f in files]
        self.messages[(channel, ts)] = dict(event)
        return event

    # what Slack sends the app

    def signed(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        """Slack's v0 signature headers for a request body."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        digest = hmac.new(self.secret.encode(), f"v0:{stamp}:{body}".encode(),
                          hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> str:
        """An Events API callback around an event."""
        return json.dumps({
            "token": "legacy-verification", "team_id": TEAM, "api_app_id": "A0AUDIOGPT",
            "event": event, "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()), "authorizations": [
                {"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}]})

    def command_form(self, command: str, text: str, *, channel: str = "C0GENERAL",
                     user: str = "U0ANA", team: str = TEAM) -> dict[str, str]:
        """A slash command's fields, as Slack posts them."""
        return {"token": "legacy-verification", "team_id": team, "team_domain": "standin",
                "channel_id": channel, "channel_name": "general", "user_id": user,
                "user_name": "ana", "command": command, "text": text,
                "api_app_id": "A0AUDIOGPT", "is_enterprise_install": "false",
                "response_url": f"{self.base}/response/{next(self._seq)}",
                "trigger_id": f"{next(self._seq)}.{uuid.uuid4().hex[:12]}"}

    async def post(self, url: str, body: str, content_type: str,
                   headers: dict[str, str] | None = None) -> tuple[int, str]:
        """One delivery to the app's endpoint: status and body."""
        async with aiohttp.ClientSession() as session, session.post(
                url, data=body.encode(), headers={"Content-Type": content_type, **(headers or {}),
                                                  **self.signed(body)}) as response:
            return response.status, await response.text()

    async def send_event(self, url: str, event: dict[str, Any], *, event_id: str | None = None,
                         retry: int = 0) -> tuple[int, str]:
        """Deliver an event, signed; `retry` > 0 marks Slack's redelivery of event_id."""
        retried = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(url, self.event_body(event, event_id), "application/json",
                               retried if retry else None)

    async def send_command(self, url: str, form: dict[str, str]) -> tuple[int, str]:
        """Deliver a slash command, signed."""
        return await self.post(url, urlencode(form), "application/x-www-form-urlencoded")

    async def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a Socket Mode envelope once the app is connected; the app's ack."""
        async with asyncio.timeout(ACK_WAIT):
            await self.wait_for(lambda: self._socket is not None)
            assert self._socket is not None
            envelope_id = str(uuid.uuid4())
            await self._socket.send_json({"envelope_id": envelope_id, "type": kind,
                                          "payload": payload, "retry_attempt": 0,
                                          "accepts_response_payload": kind != "events_api"})
            await self.wait_for(lambda: envelope_id in self.acks)
        return self.acks[envelope_id]

    # the server

    @web.middleware
    async def _noted(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            self._changed.set()

    async def _api(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            params |= await request.json()
        elif request.method == "POST":
            params |= dict(await request.post())
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        method = request.match_info["method"]
        self.calls.append(Call(method, params, token))
        if not slack_spec.known(method):
            return web.json_response({"ok": False, "error": "unknown_method"})
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if token != wanted:
            return web.json_response({"ok": False, "error": "invalid_auth" if token
                                      else "not_authed"})
        if self.rate_limited.get(method, 0) > 0:
            self.rate_limited[method] -= 1
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(RETRY_AFTER)})
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        if handler is None:  # a method of the API the stand-in was never taught
            return web.Response(status=501, text=f"the stand-in doesn't serve {method}")
        why = slack_spec.channel_refusal(method, params, self.refused)
        result: dict[str, Any] = (slack_spec.refusal(method, params)
                                  or ({"error": why} if why else handler(params)))
        return web.json_response({"ok": "error" not in result, **result})

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"url": "https://standin.slack.com/", "team": "Stand-in", "user": "audiogpt",
                "team_id": TEAM, "user_id": BOT_USER, "bot_id": BOT_ID,
                "is_enterprise_install": False}

    def _apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"url": f"ws://{self.base.removeprefix('http://')}/socket"}

    def _chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        ts = self._ts()
        message = {"channel": p["channel"], "ts": ts, "text": p.get("text", ""),
                   "bot_id": BOT_ID, "user": BOT_USER,
                   **({"thread_ts": p["thread_ts"]} if p.get("thread_ts") else {})}
        self.messages[(p["channel"], ts)] = message
        return {"channel": p["channel"], "ts": ts, "message": message}

    def _chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        message = self.messages.get((p.get("channel", ""), p.get("ts", "")))
        if message is None or not message.get("bot_id"):
            return {"error": "message_not_found" if message is None else "cant_update_message"}
        message["text"] = p.get("text", "")
        return {"channel": p["channel"], "ts": p["ts"], "text": message["text"]}

    def _conversations_replies(self, p: dict[str, Any]) -> dict[str, Any]:
        thread = sorted((m for (c, ts), m in self.messages.items() if c == p.get("channel") and
                         p.get("ts") in (ts, m.get("thread_ts"))), key=lambda m: m["ts"])
        if not thread:
            return {"error": "thread_not_found"}
        return {"messages": thread[:int(p.get("limit") or 1000)], "has_more": False}

    def _reactions_add(self, p: dict[str, Any]) -> dict[str, Any]:
        key = (p.get("channel", ""), p.get("timestamp", ""))
        if key not in self.messages:
            return {"error": "message_not_found"}
        names = self._reactions.setdefault(key, [])
        if p["name"] in names:
            return {"error": "already_reacted"}
        names.append(p["name"])
        return {}

    def _reactions_remove(self, p: dict[str, Any]) -> dict[str, Any]:
        names = self._reactions.get((p.get("channel", ""), p.get("timestamp", "")), [])
        if p.get("name") not in names:
            return {"error": "no_reaction"}
        names.remove(p["name"])
        return {}

    def _files_info(self, p: dict[str, Any]) -> dict[str, Any]:
        hosted = self.files.get(p.get("file", ""))
        return {"file": hosted.info} if hosted else {"error": "file_not_found"}

    def _files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.uploads_disabled:
            return {"error": "file_uploads_disabled"}  # "Team has disabled all file uploads."
        file_id = f"F{uuid.uuid4().hex[:10].upper()}"
        self.uploads[file_id] = Upload(p["filename"], int(p["length"]))
        return {"file_id": file_id, "upload_url": f"{self.base}/upload/{file_id}"}

    def _files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(p.get("files", "[]"))
        if not files or any(self.uploads.get(f["id"], Upload("", 0)).data is None
                            for f in files):
            return {"error": "file_not_found"}
        share = {"channel": p.get("channel_id"), "thread_ts": p.get("thread_ts")}
        for f in files:
            upload = self.uploads[f["id"]]
            upload.title = f.get("title") or upload.filename
            upload.shares.append(share)
        return {"files": [{"id": f["id"], "title": self.uploads[f["id"]].title} for f in files]}

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        view = json.loads(p["view"]) if isinstance(p.get("view"), str) else p.get("view")
        if not p.get("user_id") or not isinstance(view, dict) or view.get("type") != "home":
            return {"error": "invalid_arguments"}
        return {"view": view}

    async def _upload(self, request: web.Request) -> web.Response:
        upload = self.uploads.get(request.match_info["file_id"])
        data = await request.read()
        if upload is None or len(data) != upload.length:
            return web.Response(status=400, text="bad upload")
        upload.data = data
        return web.Response(text=f"OK - {len(data)}")

    async def _download(self, request: web.Request) -> web.Response:
        file_id = request.match_info["team_file"].removeprefix(f"{TEAM}-")
        authorized = request.headers.get("Authorization") == f"Bearer {self.bot_token}"
        self.downloads.append((file_id, authorized))
        hosted = self.files.get(file_id)
        if not authorized or hosted is None:
            return web.Response(text=SIGN_IN_PAGE, content_type="text/html")
        return web.Response(body=hosted.data, content_type=hosted.info["mimetype"])

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        return web.Response(text="ok")

    async def _socket_mode(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._socket = ws
        self._changed.set()
        await ws.send_json({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0AUDIOGPT"}})
        async for frame in ws:
            if frame.type == aiohttp.WSMsgType.TEXT:
                ack = json.loads(frame.data)
                self.acks[ack["envelope_id"]] = ack
                self._changed.set()
        return ws
