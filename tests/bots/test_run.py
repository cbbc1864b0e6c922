"""`audiogpt run` as users start it: the web chat and every platform with credentials
(Telegram, Slack in Socket Mode, Discord, each against its stand-in), in one process,
ended together by Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.bots.test_discord import PAYLOADS
from tests.bots.test_discord import TOKEN as DISCORD_TOKEN
from tests.bots.test_slack import APP_TOKEN as SLACK_APP_TOKEN
from tests.bots.test_slack import BOT_TOKEN as SLACK_TOKEN
from tests.bots.test_slack import SECRET as SLACK_SECRET
from tests.bots.test_telegram import ANA, PRIVATE, TOKEN
from tests.net import free_port, get
from tests.stand_ins.discord_api import DiscordStandIn
from tests.stand_ins.slack_api import SlackStandIn
from tests.stand_ins.telegram_api import TelegramStandIn


async def test_run_serves_the_web_chat_and_every_platform_together(tmp_path: Path) -> None:
    port = free_port()
    async with TelegramStandIn(TOKEN) as api, \
            SlackStandIn(SLACK_TOKEN, SLACK_SECRET, app_token=SLACK_APP_TOKEN) as slack, \
            DiscordStandIn(PAYLOADS) as discord_api:
        env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path / "data"),
               "AUDIOGPT_WEB_PORT": str(port), "TELEGRAM_BOT_TOKEN": TOKEN,
               "AUDIOGPT_TELEGRAM_BASE_URL": api.base_url,
               "AUDIOGPT_TELEGRAM_BASE_FILE_URL": api.base_file_url,
               "SLACK_BOT_TOKEN": SLACK_TOKEN, "SLACK_APP_TOKEN": SLACK_APP_TOKEN,
               "AUDIOGPT_SLACK_API_URL": slack.api_url,
               "DISCORD_BOT_TOKEN": DISCORD_TOKEN,
               "AUDIOGPT_DISCORD_API_URL": discord_api.api_url,
               "AUDIOGPT_DISCORD_GATEWAY_URL": discord_api.gateway_url}
        log = (tmp_path / "run.log").open("wb")
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "run", env=env, stdout=log, stderr=log)
        try:
            await api.wait_for("getUpdates", within=120)  # Telegram is polled ...
            code, html = await asyncio.to_thread(get, f"http://127.0.0.1:{port}/")  # ... served
            assert code == 200 and "<html" in html.lower()
            api.push(api.user_message(PRIVATE, ANA, "hello"))
            (answer,) = await api.wait_for("sendMessage", within=120)
            assert int(answer.params["chat_id"]) == PRIVATE["id"]
            await discord_api.wait_for("PUT", r"/applications/\d+/commands", within=60)
            assert discord_api.identify and discord_api.identify["token"] == DISCORD_TOKEN
            assert slack.called("apps.connections.open")  # Socket Mode, with the app token
        finally:
            bot.send_signal(signal.SIGINT)  # Ctrl-C ends both
            code = await asyncio.wait_for(bot.wait(), timeout=60)
            log.close()
    output = (tmp_path / "run.log").read_text()
    assert code in (0, 130), output[-2000:]  # 130: ended by Ctrl-C, as shells report it
    assert "Traceback" not in output and "Error" not in output, output[-2000:]
    assert not any(t in output for t in (TOKEN, SLACK_TOKEN, SLACK_APP_TOKEN, DISCORD_TOKEN))
