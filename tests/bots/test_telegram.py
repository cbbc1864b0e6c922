"""Telegram end to end: the real python-telegram-bot against a local Bot API stand-in, with
the real agent and models behind it. Voice replies are checked by transcribing what was
uploaded."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bots import commands
from bots.base import SORRY
from bots.telegram import TelegramBot
from bots.telegram.handlers import HOW, MENU
from core_agent.config import Settings
from core_agent.types import Job, StepStatus
from media.decode import decode
from media.probe import probe
from models.cache import BackendCache
from models.settings import ModelSettings
from tests.conftest import make_settings
from tests.samples import voice_note, wer
from tests.stand_ins.telegram_api import (
    BOT_USERNAME,
    Call,
    Drop,
    Refused,
    TelegramStandIn,
    TooMany,
)
from workers.runtime import Runtime, build_runtime

# python-telegram-bot 22 warns from inside its own RetryAfter (every 429) that
# `retry_after` will become a timedelta; the SDK's business, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*`retry_after` will be of type:telegram.warnings.PTBDeprecationWarning")
TOKEN = "123456:TEST-token-abcdefghijklmnopqrstuvwxyz"
ANA = {"id": 4242, "is_bot": False, "first_name": "Ana"}
BEN = {"id": 5151, "is_bot": False, "first_name": "Ben"}
PRIVATE_ID = 4242
PRIVATE = {"id": PRIVATE_ID, "type": "private", "first_name": "Ana"}
GROUP_ID = -100777
GROUP = {"id": GROUP_ID, "type": "supergroup", "title": "Band", "is_forum": True}
TOPIC = 77  # a forum topic in GROUP


@dataclass
class Running:
    """The bot serving against the stand-in."""

    api: TelegramStandIn
    bot: TelegramBot
    runtime: Runtime
    settings: Settings


@asynccontextmanager
async def running(tmp_path: Path, embedder: Any, backends: BackendCache, **overrides: Any
                  ) -> AsyncIterator[Running]:
    async with TelegramStandIn(TOKEN, local=overrides.pop("local", False)) as api:
        settings = make_settings(tmp_path / "data", telegram_bot_token=TOKEN,
                                 telegram_base_url=api.base_url,
                                 telegram_base_file_url=api.base_file_url,
                                 **{"telegram_status_after": 0.0, **overrides})
        runtime = build_runtime(settings, embedder=embedder, backends=backends)
        bot = TelegramBot(runtime.agent, settings)
        serving = asyncio.create_task(bot.serve())
        try:
            # polling starts right after deleteWebhook; updates pushed before wait for it
            await api.wait_for(
                "setWebhook" if settings.telegram_webhook_url else "deleteWebhook", within=30)
            yield Running(api, bot, runtime, settings)
        finally:
            bot.stop()
            await asyncio.wait_for(serving, 30)
            await runtime.aclose()


def replies(api: TelegramStandIn) -> list[Call]:
    """Text the bot posted, without its "working on it" messages and without attempts the
    server refused (a 429, a dropped connection or a refusal posts nothing)."""
    return [c for c in api.sent("sendMessage") if not c.params.get("text", "").startswith("⏳")
            and not isinstance(c.result, TooMany | Drop | Refused)]


async def reply_count(api: TelegramStandIn, count: int, within: float = 90) -> list[Call]:
    async with asyncio.timeout(within):
        while len(replies(api)) < count:
            await api.wait_for("sendMessage", len(api.sent("sendMessage")) + 1, within)
    return replies(api)


def heard(call: Call, method_file: str, tmp_path: Path, backends: BackendCache) -> str:
    """What the real ASR hears in an uploaded voice note."""
    upload = call.files[method_file]
    path = tmp_path / f"heard-{call.params.get('chat_id')}-{len(upload.data)}.ogg"
    path.write_bytes(upload.data)
    assert upload.data[28:36] == b"OpusHead" and probe(path).format == "ogg"
    return backends.for_task("speech_recognition").transcribe(decode(path)).text  # type: ignore[attr-defined,no-any-return]


def picture(folder: Path, width: int, height: int) -> Path:
    path = folder / f"picture-{width}x{height}.jpg"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    f"testsrc=s={width}x{height}", "-frames:v", "1", str(path)], check=True)
    return path


def voice(api: TelegramStandIn, path: Path) -> dict[str, Any]:
    return {**api.add_file(path), "duration": round(probe(path).duration or 1),
            "mime_type": "audio/ogg"}


async def test_a_voice_note_gets_a_voice_note_saying_the_right_words(
        tmp_path: Path, embedder: Any, backends: BackendCache,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    note = voice_note("please say the garden gate is open", tmp_path)
    async with running(tmp_path, embedder, backends) as tg:
        asked = tg.api.user_message(PRIVATE, ANA, voice=voice(tg.api, note))
        tg.api.push(asked)
        (sent,) = await tg.api.wait_for("sendVoice")
        assert int(sent.params["chat_id"]) == PRIVATE["id"]
        assert "reply_parameters" not in sent.params  # private chats need no quoting
        assert wer("the garden gate is open", heard(sent, "voice", tmp_path, backends)) < 0.2
        (text,) = await reply_count(tg.api, 1)
        assert "You said" in text.params["text"] and "garden gate" in text.params["text"]
        actions = {c.params["action"] for c in tg.api.sent("sendChatAction")}
        assert {"typing", "record_voice", "upload_voice"} <= actions
        # the "working on it" message followed the stages, then went away
        status = [c for c in tg.api.sent("sendMessage") if c.params["text"].startswith("⏳")]
        assert status and tg.api.sent("editMessageText")
        await tg.api.wait_for("deleteMessage")
        assert (PRIVATE["id"], status[0].result["message_id"]) not in tg.api.posted
        stored = await tg.runtime.memory.messages(f"telegram:{PRIVATE['id']}")
        assert stored[0][0].user_id == "telegram:user:4242" and stored[0][1][0].kind == "audio"
    assert TOKEN not in caplog.text and "/bot***/" in caplog.text  # requests were logged, masked


async def test_group_chatter_is_ignored_but_its_media_can_be_used_later(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    said = "the rehearsal moves to friday evening"
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        api.push(api.user_message(GROUP, BEN, voice=voice(api, voice_note(said, tmp_path))))
        api.push(api.user_message(GROUP, BEN, "transcribe this please, anyone?"))
        small, large = (api.add_file(picture(tmp_path, w, h)) for w, h in ((90, 60), (320, 240)))
        api.push(api.user_message(GROUP, BEN, "our poster", photo=[
            {**small, "width": 90, "height": 60}, {**large, "width": 320, "height": 240}]))
        channel = f"telegram:{GROUP['id']}"
        for _ in range(300):  # until all was confirmed and kept, at most 30 s
            if not api.pending and len(await tg.runtime.memory.artifacts(channel)) == 2:
                break
            await asyncio.sleep(0.1)
        kept = await tg.runtime.memory.artifacts(channel)
        assert [(a.producer, a.kind) for a in kept] == [("upload", "audio"), ("upload", "image")]
        assert api.downloads == ["file-1", large["file_id"]]  # the photo at its largest size
        await asyncio.sleep(0.5)
        assert not [c for c in api.calls if c.method.startswith("send")]  # no answer, no action

        asking = api.user_message(GROUP, ANA, f"@{BOT_USERNAME} transcribe the recording above")
        api.push(asking)
        (answer,) = await reply_count(api, 1)
        assert int(answer.params["chat_id"]) == GROUP["id"]
        assert answer.json("reply_parameters")["message_id"] == asking["message_id"]
        transcript = answer.params["text"].split("“", 1)[1].split("”", 1)[0]
        assert wer(said, transcript) < 0.2

        # a post the bot never received (privacy mode on): replying to it brings its file
        unseen_words = "the meeting starts after lunch today"
        unseen = api.user_message(GROUP, BEN, voice=voice(
            api, voice_note(unseen_words, tmp_path, name="unseen")))
        api.push(api.user_message(GROUP, ANA, f"@{BOT_USERNAME} transcribe this",
                                  reply_to_message=unseen))
        answer = (await reply_count(api, 2))[-1]
        transcript = answer.params["text"].split("“", 1)[1].split("”", 1)[0]
        assert wer(unseen_words, transcript) < 0.2, answer.params["text"]


async def test_a_reply_to_the_bots_audio_in_a_topic_works_on_that_audio(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    first, second = "the first words are blue", "the second words are green"
    topic = {"message_thread_id": TOPIC, "is_topic_message": True}
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        for number, words in enumerate((first, second), start=1):
            api.push(api.user_message(GROUP, ANA, f"@{BOT_USERNAME} say {words}", **topic))
            sent = (await api.wait_for("sendVoice", number))[-1]
            assert int(sent.params["message_thread_id"]) == TOPIC
        await reply_count(api, 2)
        first_voice = api.sent("sendVoice")[0].result
        # replying to the bot needs no mention; the newest audio is the second, not this one
        api.push(api.user_message(GROUP, BEN, "transcribe this",
                                  reply_to_message=first_voice, **topic))
        answer = (await reply_count(api, 3))[-1]
        assert int(answer.params["message_thread_id"]) == TOPIC
        transcript = answer.params["text"].split("“", 1)[1].split("”", 1)[0]
        assert wer(first, transcript) < 0.2, answer.params["text"]


async def test_read_this_aloud_replying_to_a_message_speaks_that_message(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    said = "the bus to the airport leaves at nine"
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        posted = api.user_message(GROUP, BEN, said.capitalize() + ".")  # not to the bot
        api.push(posted)
        api.push(api.user_message(GROUP, ANA, f"@{BOT_USERNAME} read this aloud please",
                                  reply_to_message=posted))
        (sent,) = await api.wait_for("sendVoice")
        assert wer(said, heard(sent, "voice", tmp_path, backends)) < 0.2


async def test_voice_only_speaks_the_reply_instead_of_writing_it(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        api.push(api.user_message(PRIVATE, ANA, "/voice only"))
        (said,) = await reply_count(api, 1)
        assert said.params["text"] == "I'll speak my replies here instead of writing them."
        api.push(api.user_message(PRIVATE, ANA, "thanks a lot!"))
        (sent,) = await api.wait_for("sendVoice")
        assert "welcome" in heard(sent, "voice", tmp_path, backends).lower()
        written = [c.params["text"] for c in api.sent("sendMessage")]
        assert not [t for t in written if "welcome" in t.lower()], written  # spoken, not written
        api.push(api.user_message(PRIVATE, ANA, "/voice on"))
        api.push(api.user_message(PRIVATE, ANA, "thank you so much"))
        await api.wait_for("sendVoice", 2)
        assert [t for t in (c.params["text"] for c in api.sent("sendMessage"))
                if "welcome" in t.lower()]  # both again


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """11 minutes of 16 kHz audio: over 20 MB."""
    path = tmp_path / "rehearsal.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i",
                    "sine=f=220:r=16000:d=660", "-c:a", "pcm_s16le", str(path)], check=True)
    return path


async def test_an_oversize_file_gets_the_limit_message(tmp_path: Path, big: Path, embedder: Any,
                                                       backends: BackendCache) -> None:
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        declared = {**api.add_file(big), "duration": 660, "file_name": big.name,
                    "mime_type": "audio/wav"}
        api.push(api.user_message(PRIVATE, ANA, "clean this up", audio=declared))
        (said,) = await reply_count(api, 1)
        assert f"rehearsal.wav is {declared['file_size'] / 2**20:.1f} MB" in said.params["text"]
        assert "up to 20 MB" in said.params["text"]
        undeclared = {k: v for k, v in declared.items() if k != "file_size"}
        api.push(api.user_message(PRIVATE, ANA, "clean this up", audio=undeclared))
        said = (await reply_count(api, 2))[-1]
        assert said.params["text"].startswith("That file is too big")  # getFile refused it
        assert not api.downloads
        assert await tg.runtime.memory.artifacts(f"telegram:{PRIVATE['id']}") == []


async def test_rate_limits_and_dropped_connections_lose_nothing(
        tmp_path: Path, embedder: Any, backends: BackendCache,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        api.fail("getUpdates", Drop(), TooMany(retry_after=1))
        api.fail("sendMessage", TooMany(retry_after=1))
        api.fail("sendVoice", Drop())
        api.push(api.user_message(PRIVATE, ANA, "say good night"))
        (sent,) = [c for c in await api.wait_for("sendVoice", 2)
                   if not isinstance(c.result, Drop)]
        assert wer("good night", heard(sent, "voice", tmp_path, backends)) < 0.2
        (said,) = await reply_count(api, 1)
        assert "Here it is" in said.params["text"]
        faulted = [c.method for c in api.calls if isinstance(c.result, TooMany | Drop)]
        assert sorted(faulted) == ["getUpdates", "getUpdates", "sendMessage", "sendVoice"]
        assert api.pending == 0  # confirmed, and answered once
        assert len(await tg.runtime.memory.messages(f"telegram:{PRIVATE['id']}")) == 2
    assert TOKEN not in caplog.text


async def test_a_spoken_answer_to_a_user_who_forbids_voice_messages_comes_as_audio(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    async with running(tmp_path, embedder, backends) as tg:
        api = tg.api
        api.forbid_voice_messages(PRIVATE_ID)
        api.push(api.user_message(PRIVATE, ANA, "say good night"))
        (sent,) = await api.wait_for("sendAudio")
        assert sent.files["audio"].filename.endswith(".mp3")
        said = [c.params["text"] for c in await reply_count(api, 2)]
        assert "Here it is" in said[0]
        assert said[1].startswith("Your privacy settings don't let me send voice messages")
        assert len(api.sent("sendVoice")) == 1 and SORRY not in " ".join(said)


async def test_commands(tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    async with running(tmp_path, embedder, backends) as tg:
        api, memory = tg.api, tg.runtime.memory
        channel = f"telegram:{PRIVATE['id']}"

        async def command(text: str) -> str:
            api.push(api.user_message(PRIVATE, ANA, text))
            return str((await reply_count(api, len(replies(api)) + 1))[-1].params["text"])

        models = ModelSettings.of(tg.settings)
        shown = await command("/help")
        assert shown == commands.help_text(models, HOW) and "Transcribe speech" in shown
        assert "/voice on — Also speak my replies here" in shown
        assert await command("/tasks") == commands.tasks_text(models)
        assert await command("/voice") == "Say /voice on, /voice off or /voice only."
        assert await command("/voice on") == "I'll speak my replies here."
        assert (await memory.channel(channel, "telegram")).voice_replies
        # Long enough (about a minute of speech) that /cancel lands while it is synthesised
        # even on a busy machine.
        long_text = " ".join(["The quick brown fox jumps over the lazy dog."] * 60)
        api.push(api.user_message(PRIVATE, ANA, f"read this aloud: {long_text}"))
        async with asyncio.timeout(60):
            while "record_voice" not in {c.params["action"] for c in api.sent("sendChatAction")}:
                await api.wait_for("sendChatAction", len(api.sent("sendChatAction")) + 1)
        assert await command("/cancel") == "Stopped."
        (menu,) = api.sent("setMyCommands")
        assert [c["command"] for c in menu.json("commands")] == [c.command for c in MENU]
        jobs = [j for (row, _) in await memory.messages(channel) for j in
                await memory.jobs_for(row.id)]
        assert jobs and all(isinstance(j, Job) and j.status == StepStatus.CANCELLED
                            for j in jobs)
        assert not api.sent("sendVoice")
        assert await command("/usage") == await commands.usage(tg.runtime.agent,
                                                                "telegram:user:4242")
        assert "ran 1 jobs" in await command("/usage")
        assert (await command("/reset")).startswith("Done: I've forgotten")
        assert await memory.messages(channel) == []


async def test_webhook_mode(tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    async with running(tmp_path, embedder, backends, telegram_webhook_url=url,
                       telegram_webhook_secret="hook-secret", telegram_webhook_port=port) as tg:
        (hook,) = tg.api.sent("setWebhook")
        assert hook.params["url"] == url and hook.params["secret_token"] == "hook-secret"
        update = {"update_id": 1, "message": tg.api.user_message(PRIVATE, ANA, "hi")}
        async with aiohttp.ClientSession() as http:
            async with asyncio.timeout(10):
                while True:  # uvicorn may still be binding
                    try:
                        async with http.post(url, json=update) as refused:
                            assert refused.status == 403
                        break
                    except aiohttp.ClientConnectionError:
                        await asyncio.sleep(0.1)
            async with http.post(url, json=update, headers={
                    "X-Telegram-Bot-Api-Secret-Token": "hook-secret"}) as accepted:
                assert accepted.status == 200
        (said,) = await reply_count(tg.api, 1)
        assert said.params["text"].startswith("Hi!")
        assert not tg.api.sent("getUpdates")


@pytest.mark.parametrize("secret", ["has spaces in it", "ümlaut", "x" * 257])
async def test_a_webhook_secret_telegram_would_refuse_stops_the_start(
        tmp_path: Path, embedder: Any, secret: str) -> None:
    settings = make_settings(tmp_path / "data", telegram_bot_token=TOKEN,
                             telegram_webhook_url="https://bot.example.org/hook",
                             telegram_webhook_secret=secret)
    runtime = build_runtime(settings, embedder=embedder)
    try:
        with pytest.raises(ValueError, match="may hold only A-Z, a-z, 0-9, _ and -") as refused:
            TelegramBot(runtime.agent, settings)
        assert secret not in str(refused.value)
    finally:
        await runtime.aclose()
