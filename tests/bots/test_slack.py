"""The Slack app end to end: real slack-bolt and slack-sdk against a local stand-in for
Slack's servers (tests/stand_ins/slack_api.py), signed deliveries to the app's HTTP
endpoint and Socket Mode envelopes, the real agent and embedded models."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from sqlmodel import Session, select

from bots.slack import SlackApp
from bots.slack.adapter import SlackNotConfigured
from bots.slack.send import DONE, FAILED, WORKING
from core_agent.config import Settings
from core_agent.tables import MessageRecord
from media.decode import decode
from models.cache import BackendCache
from tasks import TASKS
from tests.conftest import make_settings, report
from tests.samples import tone, voice_note, wer
from tests.stand_ins.slack_api import BOT_USER, SlackStandIn, mention
from workers.runtime import Runtime, build_runtime

BOT_TOKEN = "xoxb-1111-2222-StandInBotToken"
APP_TOKEN = "xapp-1-A0AUDIOGPT-3333-StandInAppToken"
SECRET = "0f5e1c2b3a4d5e6f7a8b9c0d1e2f3a4b"
COMMAND = "/audiogpt"
CHANNEL = "C0GENERAL"
MANIFEST = Path(__file__).resolve().parents[2] / "bots" / "slack" / "manifest.yaml"


@dataclass
class Running:
    """A served Slack app."""

    bot: SlackApp
    url: str  # the HTTP events endpoint ("" in Socket Mode)
    runtime: Runtime


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    """Slack's servers, on a free loopback port."""
    async with SlackStandIn(BOT_TOKEN, SECRET, app_token=APP_TOKEN) as server:
        yield server


def slack_settings(tmp_path: Path, slack: SlackStandIn, **overrides: Any) -> Settings:
    """Embedded defaults, with the app's credentials and the stand-in's addresses."""
    values: dict[str, Any] = {"slack_bot_token": BOT_TOKEN, "slack_signing_secret": SECRET,
                              "slack_api_url": slack.api_url, "slack_files_url": slack.files_url}
    return make_settings(tmp_path / "data", **(values | overrides))


@asynccontextmanager
async def running(settings: Settings, embedder: Any, backends: BackendCache
                  ) -> AsyncIterator[Running]:
    """The app serving (on a socket bound here in HTTP mode), stopped afterwards."""
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    bot = SlackApp(runtime.agent, settings)
    url, sock = "", None
    if bot.mode == "http":
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}{settings.slack_path}"
    server = asyncio.create_task(bot.serve(sock))
    try:
        yield Running(bot, url, runtime)
    finally:
        bot.stop()
        await server
        await runtime.aclose()


@pytest.fixture
async def app(slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache
              ) -> AsyncIterator[Running]:
    """The app in HTTP mode on embedded defaults."""
    async with running(slack_settings(tmp_path, slack), embedder, backends) as served:
        yield served


def heard(backends: BackendCache, data: bytes, folder: Path) -> str:
    """What the embedded recogniser hears in an uploaded file."""
    path = folder / "uploaded.ogg"
    path.write_bytes(data)
    asr = backends.for_task("speech_recognition")
    return str(asr.transcribe(decode(path)).text)  # type: ignore[attr-defined]


def quoted(text: str) -> str:
    """A transcript in a reply: what stands between “ and ”."""
    return text.split("“", 1)[1].split("”", 1)[0]


def user_turns(runtime: Runtime, platform_message_id: str) -> int:
    """How many times a Slack message was taken in as a turn."""
    with Session(runtime.memory.engine) as session:
        return len(session.exec(select(MessageRecord).where(
            MessageRecord.platform_message_id == platform_message_id)).all())


async def test_a_slash_command_is_acked_at_once_and_answered_in_its_thread(
        app: Running, slack: SlackStandIn, backends: BackendCache, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spoken = "the package arrives on monday afternoon"
    form = slack.command_form(COMMAND, f"read this aloud: {spoken}", channel=CHANNEL)
    status, body = await slack.send_command(app.url, form)
    assert (status, body) == (200, "")  # nothing echoed
    # Acked before the turn ran (Slack's 3 s rule): the spoken answer was not uploaded yet.
    assert not slack.called("files.completeUploadExternal")

    def roots() -> list[dict[str, Any]]:
        return [m for m in slack.messages.values() if m.get("bot_id") and "thread_ts" not in m]

    await slack.wait_for(lambda: roots() and DONE in slack.reactions(CHANNEL, roots()[0]["ts"]))
    (root,) = roots()
    assert root["channel"] == CHANNEL
    assert root["text"] == f"<@U0ANA> asked: read this aloud: {spoken}"
    assert slack.reactions(CHANNEL, root["ts"]) == [DONE]  # the hourglass went
    (answer,) = slack.thread(CHANNEL, root["ts"])  # the placeholder became the answer
    assert "a1 (audio" in answer["text"]
    assert "⏳ Running: Speak text…" in [c.params["text"] for c in slack.called("chat.update")]

    (upload,) = slack.uploads.values()
    assert upload.shares == [{"channel": CHANNEL, "thread_ts": root["ts"]}]
    assert upload.title == f"Speak text: {spoken}" and upload.filename == "a1.ogg"
    assert upload.data is not None and upload.data[28:36] == b"OpusHead"  # OGG/Opus
    said = heard(backends, upload.data, tmp_path)
    assert wer(spoken, said) < 0.2, said

    home = {"type": "app_home_opened", "user": "U0ANA", "channel": "D0ANA", "tab": "home",
            "event_ts": str(time.time())}
    assert (await slack.send_event(app.url, home))[0] == 200
    await slack.wait_for(lambda: slack.called("views.publish"))
    (publish,) = slack.called("views.publish")
    shown = json.dumps(publish.params, ensure_ascii=False)
    assert publish.params["user_id"] == "U0ANA"
    assert all(spec.title in shown for spec in TASKS.values())
    assert f"✅ Speak text in <#{CHANNEL}>" in shown  # the user's recent job

    seen = caplog.text + json.dumps([c.params for c in slack.calls]) + str(slack.messages)
    assert BOT_TOKEN not in seen and SECRET not in seen
    report(f"slack: slash command's spoken reply heard as {said!r}")


async def test_a_refused_upload_leaves_the_answer_and_says_so(app: Running,
                                                              slack: SlackStandIn) -> None:
    slack.uploads_disabled = True
    form = slack.command_form(COMMAND, "read this aloud: see you at noon", channel=CHANNEL)
    assert (await slack.send_command(app.url, form))[0] == 200

    def roots() -> list[dict[str, Any]]:
        return [m for m in slack.messages.values() if m.get("bot_id") and "thread_ts" not in m]

    await slack.wait_for(lambda: roots() and {DONE, FAILED} & set(
        slack.reactions(CHANNEL, roots()[0]["ts"])))
    answer, refusal = slack.thread(CHANNEL, roots()[0]["ts"])
    assert "a1 (audio" in answer["text"]  # the placeholder became the answer, and stays it
    assert refusal["text"] == ("I couldn't attach a1 here: this workspace has turned file "
                               "uploads off.")
    assert slack.uploads == {}


async def test_a_mention_with_an_audio_clip_gets_a_transcript_and_a_voice_reply(
        app: Running, slack: SlackStandIn, backends: BackendCache, tmp_path: Path) -> None:
    said = "please say good morning everyone"
    clip = voice_note(said, tmp_path, name="clip", suffix=".webm")  # as Slack records clips
    file_id = slack.host_file(clip, "audio/webm", name="audio_message.webm",
                              subtype="slack_audio")
    event = slack.user_message(CHANNEL, f"<@{BOT_USER}>", files=[file_id])
    ts = event["ts"]
    for delivery in (mention(event), event):  # Slack sends both for a mention
        assert (await slack.send_event(app.url, delivery))[0] == 200
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, ts))

    assert slack.downloads == [(file_id, True)]  # fetched once, with the bot token
    (answer,) = slack.thread(CHANNEL, ts)
    assert wer(said, quoted(answer["text"])) < 0.2, answer["text"]
    (upload,) = slack.uploads.values()
    assert upload.shares == [{"channel": CHANNEL, "thread_ts": ts}]
    assert upload.data is not None
    spoken = heard(backends, upload.data, tmp_path)
    assert wer("good morning everyone", spoken) < 0.2, spoken
    assert user_turns(app.runtime, ts) == 1  # two deliveries, one turn

    stray = slack.user_message(CHANNEL, "transcribe a1")  # not in the thread, no mention
    await slack.send_event(app.url, stray)
    follow = slack.user_message(CHANNEL, "transcribe a1", thread_ts=ts)  # no mention needed
    await slack.send_event(app.url, follow)
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, follow["ts"]))
    again = slack.thread(CHANNEL, ts)[-1]["text"]
    assert wer(said, quoted(again)) < 0.2, again  # a1 is this thread's clip
    assert slack.reactions(CHANNEL, stray["ts"]) == [] and user_turns(app.runtime, stray["ts"]) == 0
    report(f"slack: clip heard as {quoted(answer['text'])!r}; voice reply heard as {spoken!r}")


async def test_a_retried_event_runs_once_even_after_a_restart(
        slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    settings = slack_settings(tmp_path, slack)
    event = mention(slack.user_message(CHANNEL, f"<@{BOT_USER}> hello"))
    ts = event["ts"]
    async with running(settings, embedder, backends) as app:
        first = await slack.send_event(app.url, event, event_id="Ev0FIRST")
        retried = await slack.send_event(app.url, event, event_id="Ev0FIRST", retry=1)
        assert first[0] == retried[0] == 200
        await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, ts))
    async with running(settings, embedder, backends) as app:  # a new process, same database
        await slack.send_event(app.url, event, event_id="Ev0FIRST", retry=2)
        later = slack.user_message(CHANNEL, "hello again", thread_ts=ts)  # queued behind it
        await slack.send_event(app.url, later)
        await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, later["ts"]))
        assert user_turns(app.runtime, ts) == 1
    assert len(slack.thread(CHANNEL, ts)) == 2  # one answer each: the mention, the follow-up
    working = [c.params["timestamp"] for c in slack.called("reactions.add")
               if c.params["name"] == WORKING]
    assert working == [ts, later["ts"]]


async def test_unsigned_forged_or_stale_requests_are_rejected(app: Running,
                                                              slack: SlackStandIn) -> None:
    body = slack.event_body(mention(slack.user_message(CHANNEL, f"<@{BOT_USER}> hello")))
    now = int(time.time())
    forged = {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": "v0=" + "0" * 64}
    stale = slack.signed(body, timestamp=now - 6 * 60)  # valid signature, outside 5 minutes
    async with aiohttp.ClientSession() as session:
        for headers in ({}, forged, stale):
            async with session.post(app.url, data=body, headers={
                    "Content-Type": "application/json", **headers}) as response:
                assert response.status == 401
    assert slack.calls == []
    assert user_turns(app.runtime, json.loads(body)["event"]["ts"]) == 0


async def test_socket_mode_is_chosen_with_an_app_token_and_runs_the_same_listeners(
        slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = slack_settings(tmp_path, slack, slack_app_token=APP_TOKEN,
                              slack_signing_secret=None)
    async with running(settings, embedder, backends) as app:
        assert app.bot.mode == "socket"
        event = mention(slack.user_message(CHANNEL, f"<@{BOT_USER}> hello"))
        envelope = json.loads(slack.event_body(event))
        ack = await slack.push("events_api", envelope)
        assert set(ack) == {"envelope_id"}
        await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, event["ts"]))
        (answer,) = slack.thread(CHANNEL, event["ts"])
        assert not answer["text"].startswith("⏳")
        usage = await slack.push("slash_commands", slack.command_form(COMMAND, " "))
        assert f"{COMMAND} read this aloud" in usage["payload"]["text"]  # ephemeral, in the ack
    assert [c.token for c in slack.called("apps.connections.open")] == [APP_TOKEN]
    assert APP_TOKEN not in caplog.text and BOT_TOKEN not in caplog.text


async def test_requests_that_cannot_run_get_a_short_clear_answer(
        slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    settings = slack_settings(tmp_path, slack, allow=["slack:channel:C0OPEN",
                                                      "slack:channel:C0NOTIN"])
    slack.refused["C0NOTIN"] = "not_in_channel"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a recording")
    text_file = slack.host_file(notes, "text/plain")
    elsewhere = slack.host_file(tone(tmp_path / "tone.wav", 1.0), "audio/wav",
                                url="https://files.example.com/tone.wav")
    async with running(settings, embedder, backends) as app:
        status, body = await slack.send_command(app.url, slack.command_form(COMMAND, "hi"))
        assert status == 200 and "isn't open to you" in body  # shown only to the user
        assert slack.called("chat.postMessage") == []

        form = slack.command_form(COMMAND, "hi", channel="C0NOTIN")
        assert await slack.send_command(app.url, form) == (200, "")
        await slack.wait_for(lambda: slack.responses)
        (note,) = slack.responses
        assert note["response_type"] == "ephemeral" and "Invite me" in note["text"]

        bad = [slack.user_message("C0OPEN", f"<@{BOT_USER}> transcribe this", files=[f])
               for f in (text_file, elsewhere)]
        for event in bad:
            await slack.send_event(app.url, mention(event))
        await slack.wait_for(lambda: all(FAILED in slack.reactions("C0OPEN", e["ts"])
                                         for e in bad))
    answers = [slack.thread("C0OPEN", e["ts"])[0]["text"] for e in bad]
    assert answers[0] == ("I can't take notes.txt: it isn't audio, video, a picture or a score "
                          "I can read.")
    assert answers[1] == "tone.wav isn't hosted by Slack, so I won't fetch it."
    assert [d for d in slack.downloads if d[0] == elsewhere] == []


def test_the_manifest_grants_what_the_app_uses(settings: Settings) -> None:
    manifest = yaml.safe_load(MANIFEST.read_text())
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == settings.slack_command
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "app_home_opened", "message.channels", "message.im"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "files:read", "files:write",
            "reactions:write", "im:history", "channels:history"} <= scopes


async def test_http_mode_needs_the_signing_secret(runtime: Runtime, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", slack_bot_token=BOT_TOKEN)
    with pytest.raises(SlackNotConfigured, match="SLACK_SIGNING_SECRET"):
        SlackApp(runtime.agent, settings)

