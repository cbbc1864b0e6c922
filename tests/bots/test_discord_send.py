"""The Discord sender's own cases: voice messages as Discord takes them and what happens where
it won't, and files spread over messages whose requests Discord takes, against the stand-in's
checks with the real discord.py client."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.http import handle_message_parameters

from bots.discord.send import NO_VOICE_HERE, AfterMessage, VoiceNote, deliver, send_voice_message
from core_agent.types import Artifact, Kind, Reply
from tests.bots.conftest import DiscordREST
from tests.bots.test_discord import GENERAL, ask_aloud, final, served
from tests.samples import tone, voice_note

VOICE = discord.MessageFlags(voice=True)


async def posted(rest: DiscordREST, files: list[discord.File], content: str | None = None,
                 audio: bool = True) -> None:
    """discord.py's own POST of a voice message, its file parts declared audio if asked."""
    with handle_message_parameters(content=content or discord.utils.MISSING, files=files,
                                   flags=VOICE) as params:
        for part in params.multipart or []:
            if audio and part["name"].startswith("files["):
                part["content_type"] = "audio/ogg"
        await rest.client.http.send_message(int(GENERAL), params=params)


@pytest.mark.parametrize(("case", "code"), [
    ("as discord.py sends it", 50160), ("with text", 50159), ("two files", 50160),
    ("no waveform", 50161)])
async def test_discord_refuses_a_voice_message_it_cannot_show(
        discord_rest: DiscordREST, tmp_path: Path, case: str, code: int) -> None:
    speech = voice_note("one two three", tmp_path)
    files: list[discord.File] = [discord.File(speech, filename="voice-message.ogg")] \
        if case == "no waveform" else [VoiceNote(speech) for _ in range(1 + (case == "two files"))]
    with pytest.raises(discord.HTTPException) as refused:
        await posted(discord_rest, files, content="hi" if case == "with text" else None,
                     audio=case != "as discord.py sends it")
    assert (refused.value.status, refused.value.code) == (400, code)
    await posted(discord_rest, [VoiceNote(speech)])  # the same, done right, is posted


async def test_a_voice_message_goes_as_audio_unless_the_channel_forbids_it(
        discord_rest: DiscordREST, tmp_path: Path) -> None:
    api, http = discord_rest.api, discord_rest.client.http
    speech = voice_note("one two three", tmp_path)
    assert (await send_voice_message(http, int(GENERAL), speech)).why_not is None
    (sent,) = await api.wait_for("POST", f"/channels/{GENERAL}/messages")
    assert sent.status == 200 and sent.files[0].content_type == "audio/ogg"

    api.no_voice_messages.add(GENERAL)
    assert (await send_voice_message(http, int(GENERAL), speech)).why_not == NO_VOICE_HERE


async def test_speech_is_attached_where_the_channel_refuses_voice_messages(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    async with served(tmp_path, embedder, backends) as running:
        api = running.api
        api.no_voice_messages.add(GENERAL)
        await ask_aloud(api, tmp_path)
        path = f"/channels/{GENERAL}/messages"
        (refused,) = await api.wait_for("POST", path, where=lambda r: r.status == 400)
        assert refused.body["flags"] == 8192
        (attached,) = await api.wait_for("POST", path,
                                         where=lambda r: bool(r.files) and r.status == 200)
        assert attached.files[0].filename == "a2.ogg"
        assert attached.body.get("content") == NO_VOICE_HERE
        (text,) = await api.wait_for("POST", path, where=lambda r: final(r) and not r.files)
        assert "here it is: a2" in text.body["content"].lower()


def sound(folder: Path, name: str, mib: float) -> Path:
    """A WAV of about `mib` MiB (a tone in noise, 48 kHz 16-bit)."""
    return tone(folder / f"{name}.wav", mib * 2**20 / 2 / 48_000, rate=48_000, noise=0.1)


async def test_a_request_over_25_mib_is_refused_whole(discord_rest: DiscordREST,
                                                      tmp_path: Path) -> None:
    channel = discord_rest.client.get_partial_messageable(int(GENERAL))
    paths = [sound(tmp_path, f"part{i}", 9) for i in range(3)]
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send(files=[discord.File(p) for p in paths])
    assert (refused.value.status, refused.value.code) == (413, 40005)
    await channel.send(files=[discord.File(p) for p in paths[:2]])


async def test_files_go_in_as_many_messages_as_their_size_needs(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    async with served(tmp_path, embedder, backends) as running:
        api, client = running.api, running.bot.client
        chatter = api.payload("message_create_mention")
        chatter.update(content="lunch?", mentions=[], attachments=[])
        seen = asyncio.create_task(client.wait_for("message"))
        await api.dispatch("MESSAGE_CREATE", chatter)  # not for the bot: no turn
        target = AfterMessage(await seen, client.http)
        sizes = {"a1": 9, "a2": 9, "a3": 11, "a4": 9}  # MiB; a3 is over the 10 MiB limit
        made = [Artifact(id=handle, handle=handle, kind=Kind.AUDIO, mime="audio/wav",
                         path=sound(tmp_path, handle, mib), producer="job:audio_edit")
                for handle, mib in sizes.items()]
        posted = await deliver(target, Reply(channel_id=f"discord:{GENERAL}",
                                             text="Here they are.", artifacts=made))

        posts = [r for r in api.requests if r.method == "POST" and r.files]
        assert all(r.status == 200 and r.size <= api.request_limit for r in posts)
        assert [[f.filename for f in r.files] for r in posts] == [["a1.wav", "a2.wav"],
                                                                  ["a4.wav"]]
        assert posts[0].body["content"].startswith("Here they are.\n(a3 is 11 MB, over the "
                                                   "10 MB upload limit here.)")
        assert posts[1].body["content"] is None
        first, second = (r.answer["id"] for r in posts)  # each file's message, for replies
        assert posted.text == first
        assert [(a.handle, m) for a, m in posted.files] == [("a1", first), ("a2", first),
                                                            ("a4", second)]
