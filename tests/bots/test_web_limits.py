"""The web chat against hostile clients, over real sockets on the real server: slow heads and
bodies are cut off, connections are capped, staged uploads are capped and cleared, and
quotas follow a browser across its channels."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from bots.web.browsers import COOKIE
from tests.bots.test_web import TOKEN, Served, served
from tests.conftest import make_settings
from tests.samples import tone

CLOSED = 60.0  # seconds to wait for the server to close a socket: generous, never asserted
TRICKLE = 0.1  # seconds between the bytes a slow client sends


class Raw(asyncio.Protocol):
    """A hand-driven client connection: what the server sent, and whether it hung up (a
    clean close or a reset: a server closing on unread bytes resets)."""

    def __init__(self) -> None:
        self.received = b""
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self._trickle: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += data

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def send(self, data: bytes, trickle: bool = False) -> None:
        """Send data; with `trickle`, a byte every TRICKLE seconds after it, until closed."""
        assert self.transport is not None
        self.transport.write(data)
        if trickle:
            self._trickle = asyncio.create_task(self._bytes())

    async def _bytes(self) -> None:
        while not self.closed.done():
            await asyncio.sleep(TRICKLE)
            if self.transport is not None and not self.transport.is_closing():
                self.transport.write(b"a")

    async def hung_up(self) -> bytes:
        """Everything the server sent, once it has closed the connection."""
        await asyncio.wait_for(asyncio.shield(self.closed), CLOSED)
        return self.received

    async def close(self) -> None:
        if self._trickle is not None:
            self._trickle.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._trickle
        if self.transport is not None:
            self.transport.close()
        await asyncio.wait_for(asyncio.shield(self.closed), CLOSED)


@asynccontextmanager
async def raw_clients(port: int) -> AsyncIterator[Callable[[], Awaitable[Raw]]]:
    """A maker of raw connections to the server, all closed at the end."""
    made: list[Raw] = []

    async def make() -> Raw:
        _, client = await asyncio.get_running_loop().create_connection(Raw, "127.0.0.1", port)
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            await client.close()


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Wait (generously) for something the server does after a client has gone."""
    for _ in range(int(CLOSED / 0.1)):
        if await check():
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"never happened: {what}")


def head(method: str, path: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *lines, "", ""]).encode()


async def test_slow_clients_are_cut_off_and_a_normal_one_is_served(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    settings = make_settings(tmp_path / "data", web_header_timeout=1.0, web_body_timeout=1.0,
                             web_keep_alive=1)
    async with served(settings, embedder, backends) as web, raw_clients(web.port) as raw:
        silent = await raw()
        heads, bodies = [await raw() for _ in range(3)], [await raw() for _ in range(3)]
        for slow in heads:
            slow.send(b"GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", trickle=True)
        for slow in bodies:
            slow.send(head("POST", "/api/uploads?name=slow.wav", "Content-Length: 100000")
                      + b"RIFF", trickle=True)
        # an answer that doesn't read the body must not leave the connection to the client
        unread = await raw()
        unread.send(head("GET", "/api/config", "Content-Length: 9999"), trickle=True)
        async with httpx.AsyncClient(base_url=web.url) as client:
            normal = await client.get("/api/config")
        assert normal.status_code == 200 and "max_upload_bytes" in normal.json()

        assert await silent.hung_up() == b""
        for slow in heads + bodies:
            assert await slow.hung_up() == b""  # cut off, never answered
        assert (await unread.hung_up()).startswith(b"HTTP/1.1 200 ")

        kept = await raw()
        kept.send(head("GET", "/api/config"))  # keep-alive, then nothing more
        assert (await kept.hung_up()).startswith(b"HTTP/1.1 200 ")

        async def nothing_staged() -> bool:  # the cut-off uploads' partial files are gone
            return not list(web.chat.staging.folder.iterdir())
        await eventually(nothing_staged, "partial uploads removed")


async def test_connections_beyond_the_cap_are_refused_and_the_rest_work(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    # heads may take long here: the idle connection holds its place until the test is done
    settings = make_settings(tmp_path / "data", web_max_connections=2, web_header_timeout=300.0)
    async with served(settings, embedder, backends) as web, raw_clients(web.port) as raw:
        held = await raw()
        socket_url = f"ws://127.0.0.1:{web.port}/api/channels/general/ws"
        async with connect(socket_url) as listening:
            assert json.loads(await listening.recv())["type"] == "history"
            async with httpx.AsyncClient(base_url=web.url) as client:
                refused = await client.get("/api/config")
            assert refused.status_code == 503
            with pytest.raises(InvalidStatus) as handshake:
                async with connect(socket_url):
                    pass
            assert handshake.value.response.status_code == 503

            held.send(head("GET", "/api/config", "Connection: close"))
            answer = await held.hung_up()
            assert answer.startswith(b"HTTP/1.1 200 ") and b"max_upload_bytes" in answer

            async def served_again() -> bool:  # once the server has seen it go
                async with httpx.AsyncClient(base_url=web.url) as again:
                    return (await again.get("/api/config")).status_code == 200
            await eventually(served_again, "a free place served")
            await reset(web, "general")  # the open page still hears its channel
            assert json.loads(await listening.recv()) == {"type": "reset"}


async def reset(web: Served, channel: str) -> None:
    async with httpx.AsyncClient(base_url=web.url) as client:
        assert (await client.post(f"/api/channels/{channel}/reset")).status_code == 200


@pytest.fixture
def clips(tmp_path: Path) -> list[Path]:
    """Four short recordings of one size."""
    return [tone(tmp_path / f"{name}.wav", 0.5, 300 + 100 * i)
            for i, name in enumerate(["x", "y", "z", "w"])]


@asynccontextmanager
async def browser(web: Served) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: its own cookies, after opening the page once."""
    async with httpx.AsyncClient(base_url=web.url, follow_redirects=True) as client:
        assert (await client.get("/")).status_code == 200
        yield client


async def upload(client: httpx.AsyncClient, clip: Path, chunked: bool = False
                 ) -> httpx.Response:
    data = await asyncio.to_thread(clip.read_bytes)

    async def streamed() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for i in range(0, len(data), 4096):
            yield data[i:i + 4096]

    return await client.post(f"/api/uploads?name={clip.name}",
                             content=streamed() if chunked else data)


async def turn(web: Served, client: httpx.AsyncClient, channel: str, text: str,
               uploads: list[str] | None = None) -> dict[str, Any]:
    """Send a message as this browser; the turn's last event, heard on the channel."""
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    async with connect(f"ws://127.0.0.1:{web.port}/api/channels/{channel}/ws",
                       additional_headers={"Cookie": cookies}) as listening:
        assert json.loads(await listening.recv())["type"] == "history"
        sent = await client.post(f"/api/channels/{channel}/messages",
                                 json={"text": text, "uploads": uploads or []})
        assert sent.status_code == 202, sent.text
        while True:
            event = json.loads(await asyncio.wait_for(listening.recv(), 300))
            if event.get("turn") == sent.json()["turn"] and event["type"] in ("done", "failed"):
                return dict(event)


def reply(done: dict[str, Any]) -> dict[str, Any]:
    """The assistant's message in a turn's `done` event."""
    return next(m for m in done["messages"] if m["role"] == "assistant")


def outcome(done: dict[str, Any]) -> str | None:
    """The error code the turn's message was marked with (None: answered)."""
    return next(m["error_code"] for m in done["messages"] if m["role"] == "user")


def staged_files(web: Served) -> set[str]:
    return {p.stem for p in web.chat.staging.folder.iterdir()}


async def test_staged_uploads_are_capped_per_browser_and_in_all_and_cleared_after_the_turn(
        tmp_path: Path, embedder: Any, backends: Any, clips: list[Path]) -> None:
    size = clips[0].stat().st_size
    settings = make_settings(tmp_path / "data", web_staged_bytes_per_client=2 * size + size // 2,
                             web_staged_bytes_total=3 * size + size // 2)
    x, y, z, w = clips
    async with served(settings, embedder, backends) as web, browser(web) as ana:
        firsts = [await upload(ana, clip) for clip in (x, y)]
        assert [r.status_code for r in firsts] == [200, 200]
        for chunked in (False, True):
            refused = await upload(ana, z, chunked)
            assert refused.status_code == 429
            assert refused.json()["error"].startswith("z.wav wasn't stored: your uploads")
        async with browser(web) as ben:  # a browser of its own, until the server is full
            assert (await upload(ben, w)).status_code == 200
            full = await upload(ben, z)
            assert full.status_code == 507
            assert full.json()["error"].startswith("z.wav wasn't stored: the server")
            bens = staged_files(web)
        assert len(bens) == 3  # ana's two and ben's one, nothing partial

        done = await turn(web, ana, "general", "hi", [r.json()["id"] for r in firsts])
        assert done["type"] == "done"
        assert staged_files(web) == bens - {r.json()["id"] for r in firsts}
        stored = await web.runtime.memory.artifacts("web:general")
        assert sorted(a.handle for a in stored) == ["a1", "a2"]
        assert all(a.path.is_file() and a.path.stat().st_size == size for a in stored)
        assert (await upload(ana, z)).status_code == 200  # room again


async def test_an_unsent_upload_goes_stale(tmp_path: Path, embedder: Any, backends: Any,
                                           clips: list[Path]) -> None:
    size = clips[0].stat().st_size
    settings = make_settings(tmp_path / "data", web_upload_stale_seconds=0.5,
                             web_staged_bytes_per_client=size + size // 2)
    async with served(settings, embedder, backends) as web, browser(web) as ana:
        staged = await upload(ana, clips[0])
        assert staged.status_code == 200

        async def removed() -> bool:
            return not staged_files(web)
        await eventually(removed, "the stale upload removed")
        late = await ana.post("/api/channels/general/messages",
                              json={"text": "hi", "uploads": [staged.json()["id"]]})
        assert late.status_code == 400 and "expired" in late.json()["error"]
        assert (await upload(ana, clips[1])).status_code == 200  # its room is free again


async def user_ids(web: Served, channel: str) -> set[str | None]:
    rows = await web.runtime.memory.messages(f"web:{channel}")
    return {row.user_id for row, _ in rows if row.role == "user"}


async def test_user_quotas_follow_a_browser_into_new_channels(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    settings = make_settings(tmp_path / "data", quota_user_jobs=1)
    async with served(settings, embedder, backends) as web, browser(web) as ana:
        first = await ana.get("/")  # the cookie, once: later pages keep it
        assert COOKIE not in first.headers.get("set-cookie", "")
        spoken = await turn(web, ana, "one", "read this aloud: good morning")
        assert outcome(spoken) is None and reply(spoken)["media"]
        refused = await turn(web, ana, "two", "read this aloud: good evening")
        assert outcome(refused) == "quota-exceeded"
        assert reply(refused)["text"].startswith("You've used your 1 jobs")
        assert not reply(refused)["media"]
        async with browser(web) as ben:
            heard = await turn(web, ben, "three", "read this aloud: good night")
            assert outcome(heard) is None and reply(heard)["media"]
        ana_id = f"web:browser:{ana.cookies[COOKIE]}"
        assert await user_ids(web, "one") == await user_ids(web, "two") == {ana_id}
        assert await user_ids(web, "three") == {f"web:browser:{ben.cookies[COOKIE]}"}


async def test_the_browser_cookie_is_private_and_works_with_the_token(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    settings = make_settings(tmp_path / "data", web_token=TOKEN)
    async with served(settings, embedder, backends) as web:
        async with httpx.AsyncClient(base_url=web.url, follow_redirects=True) as client:
            assert (await client.get("/")).status_code == 401
            opened = await client.get(f"/?token={TOKEN}")
            assert opened.status_code == 200 and "token" not in str(opened.url)
            cookie = opened.headers["set-cookie"]
            assert cookie.startswith(f"{COOKIE}=")
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            assert "audiogpt_web_token" in client.cookies
            done = await turn(web, client, "general", "hi, what can you do?")
            assert done["type"] == "done"
            assert await user_ids(web, "general") == {f"web:browser:{client.cookies[COOKIE]}"}

        forged = {COOKIE: "../../not-an-id", "audiogpt_web_token": TOKEN}
        async with httpx.AsyncClient(base_url=web.url, cookies=forged) as stranger:
            answer = await stranger.get("/api/config")
            assert answer.status_code == 200
            given = answer.headers["set-cookie"].split(";")[0].removeprefix(f"{COOKIE}=")
            assert len(given) == 24 and given != forged[COOKIE]
