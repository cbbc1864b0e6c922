"""`audiogpt run` with a platform that can't start: Telegram refuses the bot token (as the
real Bot API does, 401), and the web chat keeps serving while Telegram is retried with a
pause that doubles, reported in one line per try, the token masked in either log format."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from websockets.asyncio.client import connect

from tests.net import free_port, get
from tests.stand_ins.loopback import serve
from tests.workers.test_faults import eventually

TOKEN = "246810:AAH-refused-token-secret-part-xyz"
SECRET_PART = TOKEN.split(":", 1)[1]
DOWN = re.compile(r"telegram is not serving \(InvalidToken: .*\); trying again in (\d+) s")
STARTUP = 120.0  # seconds: the process loads its models first, on a busy machine


@asynccontextmanager
async def refusing_bot_api() -> AsyncIterator[tuple[str, list[str]]]:
    """A Bot API that refuses every token, as Telegram does; its base URL and the methods
    called, in order."""
    called: list[str] = []

    async def refuse(request: web.Request) -> web.Response:
        called.append(request.path.rsplit("/", 1)[-1])
        return web.json_response({"ok": False, "error_code": 401,
                                  "description": "Unauthorized"}, status=401)

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", refuse)
    runner, port = await serve(app)
    try:
        yield f"http://127.0.0.1:{port}/bot", called
    finally:
        await runner.cleanup()


def post_json(url: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(url, json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


async def turn_through_the_web_chat(port: int) -> list[dict[str, Any]]:
    """Send "hello" from a page's point of view; the turn's messages as the room receives
    them."""
    async with connect(f"ws://127.0.0.1:{port}/api/channels/isolation/ws") as room:
        history = json.loads(await room.recv())
        assert history["type"] == "history" and history["messages"] == []
        status = await asyncio.to_thread(
            post_json, f"http://127.0.0.1:{port}/api/channels/isolation/messages",
            {"text": "hello", "author": "ana"})
        assert status == 202
        async with asyncio.timeout(STARTUP):
            while (event := json.loads(await room.recv()))["type"] != "done":
                assert event["type"] in ("turn", "progress"), event
    messages: list[dict[str, Any]] = event["messages"]
    return messages


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_refused_telegram_token_leaves_the_web_chat_serving(tmp_path: Path,
                                                                    log_format: str) -> None:
    port = free_port()
    async with refusing_bot_api() as (base_url, called):
        env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path / "data"),
               "AUDIOGPT_WEB_PORT": str(port), "AUDIOGPT_LOG_FORMAT": log_format,
               "TELEGRAM_BOT_TOKEN": TOKEN, "AUDIOGPT_TELEGRAM_BASE_URL": base_url}
        stdout, stderr = tmp_path / "stdout.log", tmp_path / "stderr.log"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            bot = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bots.cli", "run", env=env, stdout=out, stderr=err)
            try:
                await eventually(lambda: get(f"http://127.0.0.1:{port}/")[0] == 200, STARTUP)
                code, html = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/")
                assert code == 200 and "<html" in html.lower()
                user, answer = await turn_through_the_web_chat(port)
                assert (user["text"], answer["role"], answer["error_code"]) == (
                    "hello", "assistant", None)
                assert answer["text"].strip()
                # Telegram was tried, then tried again after the first pause, each try
                # reported once (the log is read before the count: a try starts with getMe)
                await eventually(lambda: len(DOWN.findall(stderr.read_text())) == called.count(
                    "getMe") >= 2, 90)
            finally:
                bot.send_signal(signal.SIGINT)
                code = await asyncio.wait_for(bot.wait(), timeout=60)
    printed, logged = stdout.read_text(), stderr.read_text()
    assert code in (0, 130), logged[-2000:]
    for text in (printed, logged):
        assert TOKEN not in text and SECRET_PART not in text
    assert "Traceback" not in logged, logged[-2000:]
    assert set(called) == {"getMe"}  # nothing else was sent with a refused token
    about_telegram = [line for line in logged.splitlines() if "telegram" in line.lower()]
    pauses = [int(p) for line in about_telegram for p in DOWN.findall(line)]
    assert len(pauses) == len(about_telegram) <= called.count("getMe")  # a try in flight at
    # Ctrl-C may end unreported
    assert pauses[:2] == [5, 10]  # the pause doubles
    if log_format == "json":
        assert all(json.loads(line)["level"] == "WARNING" for line in about_telegram)
