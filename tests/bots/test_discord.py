"""The Discord bot end to end: the real discord.py client against a local stand-in for
Discord's gateway, REST API and CDN (recorded payloads), with the real agent and models.

Each test serves its own bot on a fresh data folder; what the tests check is what Discord
would receive: where replies go, what they say, and what the uploaded audio sounds like.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest

from bots import commands as commands_
from bots.discord import DiscordBot
from bots.discord.handlers import TASK_COMMANDS
from bots.discord.send import NO_VOICE_HERE
from media.decode import decode
from media.probe import probe
from tasks import TASKS
from tests.bots.conftest import DISCORD_PAYLOADS, DISCORD_TOKEN
from tests.conftest import make_settings
from tests.samples import voice_note, wer
from tests.stand_ins.discord_api import DiscordStandIn, Recorded
from workers.runtime import Runtime, build_runtime

PAYLOADS, TOKEN = DISCORD_PAYLOADS, DISCORD_TOKEN
APP = "1100000000000000001"
GUILD = 1200000000000000001
GENERAL = "1300000000000000001"
LISTENERS = "1500000000000000001"
SAID = "the meeting starts after lunch today"


@dataclass
class Served:
    """A running bot and the Discord it talks to."""

    api: DiscordStandIn
    bot: DiscordBot
    runtime: Runtime


@asynccontextmanager
async def served(tmp_path: Path, embedder: Any, backends: Any, **overrides: Any
                 ) -> AsyncIterator[Served]:
    """The real bot on its own data folder, connected to a fresh stand-in."""
    async with DiscordStandIn(PAYLOADS) as api:
        settings = make_settings(tmp_path / "data", discord_bot_token=TOKEN,
                                 discord_api_url=api.api_url,
                                 discord_gateway_url=api.gateway_url, **overrides)
        runtime = build_runtime(settings, embedder=embedder, backends=backends)
        bot = DiscordBot(runtime.agent, settings)
        available = asyncio.Event()

        @bot.client.event
        async def on_guild_available(guild: discord.Guild) -> None:
            available.set()

        serving = asyncio.create_task(bot.serve())
        await asyncio.wait_for(available.wait(), 30)
        try:
            yield Served(api, bot, runtime)
        finally:
            bot.stop()
            await asyncio.wait_for(serving, 30)
            await runtime.aclose()


def attach(api: DiscordStandIn, payload: dict[str, Any], path: Path) -> None:
    """Serve a file at the attachment's CDN address, with its real size."""
    for item in [*payload.get("attachments", []),
                 *payload.get("data", {}).get("resolved", {}).get("attachments", {}).values()]:
        api.cdn[item["url"].split("/cdn/", 1)[1]] = path.read_bytes()
        item["size"] = path.stat().st_size


class WatchedCDN(dict[str, bytes]):
    """The stand-in's CDN files; for each download, the REST paths the bot had called by then."""

    def __init__(self, api: DiscordStandIn) -> None:
        super().__init__()
        self.api = api
        self.fetched: list[list[str]] = []

    def get(self, key: str, default: Any = None) -> Any:
        self.fetched.append([r.path for r in self.api.requests])
        return super().get(key, default)


def final(r: Recorded) -> bool:
    """A posted answer rather than a "working on it" line."""
    return not str(r.body.get("content") or "").startswith("⏳")


def replied_to(r: Recorded) -> str:
    """The message a post answers (discord.py sends snowflakes as numbers)."""
    return str(r.body["message_reference"]["message_id"])


def heard(backends: Any, audio: Any) -> str:
    return str(backends.for_task("speech_recognition").transcribe(audio).text)


def quoted(text: str) -> str:
    return text.split("“", 1)[1].split("”", 1)[0]


@pytest.fixture
async def discord_(tmp_path: Path, embedder: Any, backends: Any) -> AsyncIterator[Served]:
    async with served(tmp_path, embedder, backends) as running:
        yield running


async def test_login_identify_and_commands_from_the_registry(discord_: Served) -> None:
    api = discord_.api
    assert api.identify is not None and api.identify["token"] == TOKEN
    assert api.identify["intents"] & (1 << 15)  # message content, to read mentions' text
    me = next(r for r in api.requests if r.path == "/users/@me")
    assert me.headers["Authorization"] == f"Bot {TOKEN}"
    (synced,) = await api.wait_for("PUT", f"/applications/{APP}/commands")
    commands = {c["name"]: c for c in synced.body}
    assert {c.task for c in TASK_COMMANDS} == set(TASKS)  # every task has a command
    assert {"audiogpt", "join", "leave", *commands_.NAMES, *(c.name for c in TASK_COMMANDS)} \
        == set(commands)
    for command in synced.body:
        assert re.fullmatch(r"[-_a-z0-9]{1,32}", command["name"]) and \
            0 < len(command["description"]) <= 100
    options = {o["name"]: o for o in commands["audiogpt"]["options"]}
    assert (options["request"]["type"], options["request"]["required"]) == (3, True)
    assert (options["file"]["type"], options["file"].get("required", False)) == (11, False)
    assert [(o["name"], o["type"], o["required"]) for o in commands["speak"]["options"]] == \
        [("text", 3, True)]
    assert [(o["name"], o["type"]) for o in commands["transcribe"]["options"]] == [("file", 11)]
    # `/voice on` as typed everywhere else: sub-commands, no options to fill in
    assert [(o["name"], o["type"]) for o in commands["voice"]["options"]] == [
        ("on", 1), ("off", 1), ("only", 1)]
    assert "options" not in commands["help"] or commands["help"]["options"] == []


async def test_commands_synced_to_one_guild_are_all_there(tmp_path: Path, embedder: Any,
                                                          backends: Any) -> None:
    async with served(tmp_path, embedder, backends, discord_sync_guild=GUILD) as running:
        (synced,) = await running.api.wait_for(
            "PUT", f"/applications/{APP}/guilds/{GUILD}/commands")
        names = {c["name"] for c in synced.body}
        assert {"audiogpt", "join", "leave", *commands_.NAMES,
                *(c.name for c in TASK_COMMANDS)} == names
        assert not [r for r in running.api.requests
                    if r.method == "PUT" and r.path == f"/applications/{APP}/commands"]


async def test_a_mention_with_a_voice_note_is_answered_in_a_reply(
        discord_: Served, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api = discord_.api
    mention = api.payload("message_create_mention")
    attach(api, mention, voice_note(SAID, tmp_path))
    await api.dispatch("MESSAGE_CREATE", mention)

    path = f"/channels/{GENERAL}/messages"
    (answer,) = await api.wait_for("POST", path, where=final)
    assert replied_to(answer) == mention["id"]
    assert wer(SAID, quoted(answer.body["content"])) < 0.2
    # while it worked: typing, and a status reply that was edited, then removed
    status = next(r for r in api.requests if r.method == "POST" and r.path == path)
    assert status.body["content"].startswith("⏳")
    assert replied_to(status) == mention["id"]
    assert any(r.path == f"/channels/{GENERAL}/typing" for r in api.requests)
    assert any(r.method == "PATCH" and r.path.startswith(path) for r in api.requests)
    assert any(r.method == "DELETE" and r.path.startswith(path) for r in api.requests)

    stored = await discord_.runtime.memory.messages(f"discord:{GENERAL}")
    row, media = stored[0]
    assert (row.author, row.user_id, row.text) == ("Ana", "discord:user:1400000000000000001",
                                                   "transcribe this")
    assert media[0].label == "meeting.ogg"
    assert TOKEN not in caplog.text


async def ask_aloud(api: DiscordStandIn, tmp_path: Path) -> dict[str, Any]:
    """Turn spoken replies on with /voice, then send a voice message asking for speech."""
    toggle = api.payload("interaction_join")
    toggle["data"] = {"id": "1900000000000000004", "name": "voice", "type": 1,
                      "options": [{"name": "on", "type": 1}]}
    await api.dispatch("INTERACTION_CREATE", toggle)
    (switched,) = await api.wait_for("POST", r"/interactions/\d+/[^/]+/callback")
    assert "speak my replies" in switched.body["data"]["content"]
    voice = api.payload("message_create_voice")  # a reply to the bot, flags 8192
    attach(api, voice, voice_note("please say good morning everyone", tmp_path))
    await api.dispatch("MESSAGE_CREATE", voice)
    return voice


async def test_a_voice_message_gets_a_voice_message_back(discord_: Served, backends: Any,
                                                        tmp_path: Path) -> None:
    api = discord_.api
    voice = await ask_aloud(api, tmp_path)
    path = f"/channels/{GENERAL}/messages"
    (note,) = await api.wait_for("POST", path, where=lambda r: bool(r.files))
    assert note.body["flags"] == 8192 and "content" not in note.body
    assert note.status == 200 and note.files[0].content_type == "audio/ogg"
    assert replied_to(note) == voice["id"]
    (meta,) = note.body["attachments"]
    assert meta["filename"] == "voice-message.ogg" and meta["duration_secs"] > 0.5
    assert 0 < len(base64.b64decode(meta["waveform"])) <= 256
    assert note.files[0].data[:4] == b"OggS" and note.files[0].data[28:36] == b"OpusHead"
    saved = tmp_path / "said.ogg"
    saved.write_bytes(note.files[0].data)
    assert wer("good morning everyone", heard(backends, decode(saved))) < 0.2
    (text,) = await api.wait_for("POST", path, where=lambda r: final(r) and not r.files)
    assert "good morning everyone" in re.sub(r"[^\w\s]", "", text.body["content"].lower())
    # The speech asked for is the voice message: no second voice reads "here it is" aloud.
    assert [r for r in api.requests if r.path == path and r.files] == [note]


async def test_a_slash_command_is_deferred_then_completed(discord_: Served,
                                                          tmp_path: Path) -> None:
    api = discord_.api
    api.cdn = cdn = WatchedCDN(api)
    command = api.payload("interaction_audiogpt")
    attach(api, command, voice_note(SAID, tmp_path))
    await api.dispatch("INTERACTION_CREATE", command)
    callback = rf"/interactions/{command['id']}/{command['token']}/callback"
    (deferred,) = await api.wait_for("POST", callback)
    assert deferred.body["type"] == 5

    original = f"/webhooks/{APP}/{command['token']}/messages/@original"
    (answer,) = await api.wait_for("PATCH", original, where=final)
    assert wer(SAID, quoted(answer.body["content"])) < 0.2
    assert any(r.path == original and not final(r) for r in api.requests)  # progress shown
    # Deferred at once (Discord allows 3 s): before the bot even fetched the voice note.
    assert cdn.fetched and deferred.path in cdn.fetched[0]
    (row, _), _ = await discord_.runtime.memory.messages(f"discord:{GENERAL}")
    assert (row.user_id, row.text) == ("discord:user:1400000000000000001", "transcribe this")


async def test_speech_goes_as_a_file_where_voice_messages_are_not_allowed(
        discord_: Served, backends: Any, tmp_path: Path) -> None:
    api = discord_.api
    speak = api.payload("interaction_speak")  # no Send Voice Messages permission
    await api.dispatch("INTERACTION_CREATE", speak)
    followups = f"/webhooks/{APP}/{speak['token']}"
    (upload,) = await api.wait_for("POST", followups, where=lambda r: bool(r.files))
    (file,) = upload.files
    assert file.filename == "a1.ogg" and file.data[28:36] == b"OpusHead"
    assert upload.body["content"] == NO_VOICE_HERE
    saved = tmp_path / file.filename
    saved.write_bytes(file.data)
    assert probe(saved).sample_rate == 48_000
    assert wer("the package arrives on monday afternoon", heard(backends, decode(saved))) < 0.2
    assert not any(isinstance(r.body, dict) and r.body.get("flags") == 8192
                   for r in api.requests)


async def test_files_over_the_upload_limit_are_named_not_sent(discord_: Served) -> None:
    api = discord_.api
    speak = api.payload("interaction_speak")
    speak["attachment_size_limit"] = 5_000  # bytes
    await api.dispatch("INTERACTION_CREATE", speak)
    original = f"/webhooks/{APP}/{speak['token']}/messages/@original"
    (answer,) = await api.wait_for("PATCH", original, where=final)
    assert "over the 0.00477 MB upload limit" in answer.body["content"]
    await asyncio.sleep(0.5)
    assert not any(r.files for r in api.requests)


async def test_roles_decide_who_may_use_it(tmp_path: Path, embedder: Any,
                                           backends: Any) -> None:
    async with served(tmp_path, embedder, backends,
                      allow=[f"discord:role:{LISTENERS}"]) as running:
        api = running.api
        ana = api.payload("message_create_mention")
        ana["content"], ana["attachments"] = "<@1100000000000000001> hello there", []
        ben = copy.deepcopy(ana)
        ben["id"], ben["member"]["roles"] = "1600000000000000003", []
        ben["author"] = {**ben["author"], "id": "1400000000000000002", "username": "ben"}
        for payload in (ana, ben):
            await api.dispatch("MESSAGE_CREATE", payload)
        answers = await api.wait_for("POST", f"/channels/{GENERAL}/messages", count=2,
                                     where=final)
        by_origin = {replied_to(a): a.body["content"]
                     for a in answers}
        assert "isn't open to you" in by_origin[ben["id"]]
        assert "isn't open to you" not in by_origin[ana["id"]]


async def test_bad_input_gets_a_short_answer_and_is_kept(discord_: Served,
                                                         tmp_path: Path) -> None:
    api = discord_.api
    notes = tmp_path / "notes.txt"
    notes.write_text("not a recording\n")
    mention = api.payload("message_create_mention")
    mention["attachments"][0].update(filename="notes.txt", content_type="text/plain")
    attach(api, mention, notes)
    await api.dispatch("MESSAGE_CREATE", mention)
    (answer,) = await api.wait_for("POST", f"/channels/{GENERAL}/messages", where=final)
    assert answer.body["content"].startswith("I can't take notes.txt")
    assert len(answer.body["content"]) < 200
    (row, _), _ = await discord_.runtime.memory.messages(f"discord:{GENERAL}")
    assert (row.text, row.status) == ("transcribe this", "failed")

    huge = api.payload("message_create_mention")
    huge["id"] = "1600000000000000004"
    huge["attachments"][0]["size"] = 400 * 2**20
    await api.dispatch("MESSAGE_CREATE", huge)
    (refused,) = await api.wait_for("POST", f"/channels/{GENERAL}/messages",
                                    where=lambda r: "400.0 MB" in str(r.body.get("content")))
    assert replied_to(refused) == huge["id"]

    gone = api.payload("message_create_mention")
    gone["id"] = "1600000000000000005"
    api.cdn.clear()  # the CDN no longer has the file
    await api.dispatch("MESSAGE_CREATE", gone)
    (missing,) = await api.wait_for("POST", f"/channels/{GENERAL}/messages",
                                    where=lambda r: "couldn't fetch" in str(r.body.get("content")))
    assert missing.body["content"] == ("I couldn't fetch meeting.ogg from Discord (404); "
                                       "please send it again.")


async def test_join_outside_a_voice_channel_says_how(discord_: Served) -> None:
    api = discord_.api
    join = api.payload("interaction_join")
    await api.dispatch("INTERACTION_CREATE", join)
    (answer,) = await api.wait_for("POST", rf"/interactions/{join['id']}/[^/]+/callback")
    assert answer.body["type"] == 4 and answer.body["data"]["flags"] == 64
    assert answer.body["data"]["content"].startswith("Join a voice channel first")

