"""Before a long step the progress line says how long it should take on this machine, from
the timings recorded here: in the web chat and on Slack (its stand-in)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import connect

from bots.slack.send import DONE
from core_agent.config import Settings
from core_agent.pace import PACE_FILE, Paces
from models.cache import BackendCache
from tests.bots.test_slack import APP_TOKEN, BOT_TOKEN, CHANNEL, COMMAND, SECRET, slack_settings
from tests.bots.test_slack import running as slack_running
from tests.bots.test_web import served
from tests.conftest import make_settings
from tests.stand_ins.slack_api import SlackStandIn

TEXT = ("the quarterly figures are in, sales rose in every region, costs fell a little, "
        "and the team meets on friday to plan next year")  # about 9 s read aloud
SAID = "about 20 s on this machine"


def recorded(settings: Settings) -> None:
    """A speech job this machine ran before: the same text took 20 s (a slow day)."""
    Paces(settings.cache_dir / PACE_FILE).record("text_to_speech", "piper", 20.0,
                                                 {"text": TEXT}, None)


async def test_the_web_chat_says_how_long_a_long_step_takes(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    settings = make_settings(tmp_path / "data")
    recorded(settings)
    async with served(settings, embedder, backends) as web, httpx.AsyncClient(
            base_url=web.url) as client:
        assert (await client.get("/")).status_code == 200
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        async with connect(f"ws://127.0.0.1:{web.port}/api/channels/general/ws",
                           additional_headers={"Cookie": cookies}) as room:
            assert json.loads(await room.recv())["type"] == "history"
            sent = await client.post("/api/channels/general/messages",
                                     json={"text": f"read this aloud: {TEXT}"})
            assert sent.status_code == 202, sent.text
            events = []
            while (event := json.loads(await asyncio.wait_for(room.recv(), 300)))[
                    "type"] not in ("done", "failed"):
                events.append(event)
    assert event["type"] == "done"
    notes = [e.get("note") for e in events if e["type"] == "progress"]
    assert SAID in notes, events  # in the step's progress event, which the page shows


async def test_slack_says_how_long_a_long_step_takes(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    async with SlackStandIn(BOT_TOKEN, SECRET, app_token=APP_TOKEN) as slack:
        settings = slack_settings(tmp_path, slack)
        recorded(settings)
        async with slack_running(settings, embedder, backends) as app:
            form = slack.command_form(COMMAND, f"read this aloud: {TEXT}", channel=CHANNEL)
            assert await slack.send_command(app.url, form) == (200, "")
            await slack.wait_for(lambda: any(
                DONE in slack.reactions(CHANNEL, m["ts"]) for m in slack.messages.values()
                if m.get("bot_id") and "thread_ts" not in m))
        updates = [c.params["text"] for c in slack.called("chat.update")]
    assert f"⏳ Running: Speak text… ({SAID})" in updates, updates
