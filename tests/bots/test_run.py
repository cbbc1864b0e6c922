"""`audiogpt run` as users start it: the web chat and every platform with credentials, in
one process, ended together by Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import urllib.request
from pathlib import Path

from tests.bots.test_telegram import ANA, PRIVATE, TOKEN
from tests.stand_ins.telegram_api import TelegramStandIn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def page(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode())


async def test_run_serves_the_web_chat_and_telegram_together(tmp_path: Path) -> None:
    port = free_port()
    async with TelegramStandIn(TOKEN) as api:
        env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path / "data"),
               "AUDIOGPT_WEB_PORT": str(port), "TELEGRAM_BOT_TOKEN": TOKEN,
               "AUDIOGPT_TELEGRAM_BASE_URL": api.base_url,
               "AUDIOGPT_TELEGRAM_BASE_FILE_URL": api.base_file_url}
        log = (tmp_path / "run.log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "run", env=env, stdout=log, stderr=log)
        try:
            await api.wait_for("getUpdates", within=120)  # Telegram is polled ...
            html = await asyncio.to_thread(page, f"http://127.0.0.1:{port}/")  # ... and served
            assert "<html" in html.lower()
            api.push(api.user_message(PRIVATE, ANA, "hello"))
            (answer,) = await api.wait_for("sendMessage", within=120)
            assert int(answer.params["chat_id"]) == PRIVATE["id"]
        finally:
            bot.send_signal(signal.SIGINT)  # Ctrl-C ends both
            code = await asyncio.wait_for(bot.wait(), timeout=60)
            log.close()
    output = (tmp_path / "run.log").read_text()
    assert code in (0, 130), output[-2000:]  # 130: ended by Ctrl-C, as shells report it
    assert "Traceback" not in output and "Error" not in output, output[-2000:]
    assert TOKEN not in output
