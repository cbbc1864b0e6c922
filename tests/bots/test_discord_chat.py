"""Discord: the commands every platform has, as slash commands, and edits asked for by
replying to a file, against the stand-in with the real agent and models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots import commands as commands_
from bots.discord.handlers import how
from media.decode import decode
from media.probe import probe
from models.settings import ModelSettings
from tests.bots.test_discord import APP, GENERAL, GUILD, Served, heard, replied_to, served
from tests.samples import wer
from tests.stand_ins.discord_api import DiscordStandIn, Recorded


@pytest.fixture
async def discord_(tmp_path: Path, embedder: Any, backends: Any) -> AsyncIterator[Served]:
    async with served(tmp_path, embedder, backends) as running:
        yield running


async def slash(api: DiscordStandIn, name: str, *sub: str) -> dict[str, Any]:
    """A slash command (with a sub-command) used in the channel; what the bot answered."""
    interaction = api.payload("interaction_join")
    interaction["id"] = str(int(interaction["id"]) + len(api.requests) + 1)
    interaction["data"] = {"id": "1900000000000000005", "name": name, "type": 1,
                           **({"options": [{"name": sub[0], "type": 1}]} if sub else {})}
    await api.dispatch("INTERACTION_CREATE", interaction)
    (answer,) = await api.wait_for("POST", rf"/interactions/{interaction['id']}/[^/]+/callback")
    assert answer.body["type"] == 4
    return dict(answer.body["data"])


async def test_the_commands_every_platform_has(discord_: Served) -> None:
    api, runtime = discord_.api, discord_.runtime
    settings = runtime.agent.settings
    channel = f"discord:{GENERAL}"

    async def command(name: str, *sub: str) -> dict[str, Any]:
        return await slash(api, name, *sub)

    shown = await command("help")
    assert shown["content"] == commands_.help_text(ModelSettings.of(settings), how(settings))
    assert shown["flags"] == 64  # only the caller sees it
    assert "/voice on — Also speak my replies here" in shown["content"]
    assert "/audiogpt" in shown["content"]
    assert (await command("tasks"))["content"] == commands_.tasks_text(ModelSettings.of(settings))
    assert (await command("voice", "on"))["content"] == "I'll speak my replies here."
    assert (await runtime.memory.channel(channel, "discord")).voice_replies
    switched = await command("voice", "off")
    assert switched["content"] == "I'll reply in text only here."
    assert not switched.get("flags")  # the channel sees its setting change
    assert not (await runtime.memory.channel(channel, "discord")).voice_replies
    assert (await command("cancel"))["content"] == "Nothing is running."
    assert (await command("usage"))["content"] == await commands_.usage(
        runtime.agent, "discord:user:1400000000000000001")
    assert (await command("reset"))["content"].startswith("Done: I've forgotten")


async def test_a_reply_to_a_file_posted_earlier_edits_that_file(
        discord_: Served, backends: Any, tmp_path: Path) -> None:
    api = discord_.api
    path = f"/channels/{GENERAL}/messages"
    first, second = "the first words are blue", "the second words are green"

    def spoken(r: Recorded) -> bool:
        return r.status == 200 and r.body.get("flags") == 8192

    for number, words in enumerate((first, second), start=1):
        ask = api.payload("message_create_mention")
        ask.update(id=str(1600000000000000010 + number), attachments=[],
                   content=f"<@{APP}> say {words}")
        await api.dispatch("MESSAGE_CREATE", ask)
        await api.wait_for("POST", path, count=number, where=spoken)
    posted = (await api.wait_for("POST", path, where=spoken))[0]
    # replying to the bot needs no mention; the newest audio is the second, not this one
    reply = api.payload("message_create_mention")
    reply.update(id="1600000000000000020", content="make it slower", mentions=[],
                 attachments=[], type=19, referenced_message=posted.answer,
                 message_reference={"type": 0, "message_id": posted.answer["id"],
                                    "channel_id": GENERAL, "guild_id": str(GUILD)})
    await api.dispatch("MESSAGE_CREATE", reply)
    (slower,) = await api.wait_for("POST", path, where=lambda r: bool(r.files) and
                                   replied_to(r) == reply["id"])
    (file,) = slower.files
    made, original = tmp_path / file.filename, tmp_path / "first.ogg"
    made.write_bytes(file.data)
    original.write_bytes(posted.files[0].data)
    assert wer(first, heard(backends, decode(made))) < 0.3
    assert (probe(made).duration or 0.0) > 1.1 * (probe(original).duration or 0.0)


async def test_read_this_aloud_replying_to_a_message_speaks_that_message(
        discord_: Served, backends: Any, tmp_path: Path) -> None:
    api, path = discord_.api, f"/channels/{GENERAL}/messages"
    said = "the bus to the airport leaves at nine"
    posted = api.payload("message_create_mention")  # a member's post, not to the bot
    posted.update(id="1600000000000000030", content=said.capitalize() + ".", mentions=[],
                  attachments=[])
    await api.dispatch("MESSAGE_CREATE", posted)
    ask = api.payload("message_create_mention")
    ask.update(id="1600000000000000031", content=f"<@{APP}> read this aloud", attachments=[],
               type=19, referenced_message=posted,
               message_reference={"type": 0, "message_id": posted["id"],
                                  "channel_id": GENERAL, "guild_id": str(GUILD)})
    await api.dispatch("MESSAGE_CREATE", ask)
    (voice,) = await api.wait_for("POST", path, where=lambda r: r.status == 200 and
                                  r.body.get("flags") == 8192 and replied_to(r) == ask["id"])
    (file,) = voice.files
    (tmp_path / file.filename).write_bytes(file.data)
    assert wer(said, heard(backends, decode(tmp_path / file.filename))) < 0.2


async def test_voice_only_speaks_the_reply_instead_of_writing_it(
        discord_: Served, backends: Any, tmp_path: Path) -> None:
    api, path = discord_.api, f"/channels/{GENERAL}/messages"
    said = await slash(api, "voice", "only")
    assert said["content"] == "I'll speak my replies here instead of writing them."
    ask = api.payload("message_create_mention")
    ask.update(id="1600000000000000040", content=f"<@{APP}> thanks a lot!", attachments=[])
    await api.dispatch("MESSAGE_CREATE", ask)
    (voice,) = await api.wait_for("POST", path, where=lambda r: r.status == 200 and
                                  r.body.get("flags") == 8192 and replied_to(r) == ask["id"])
    (file,) = voice.files
    (tmp_path / file.filename).write_bytes(file.data)
    assert "welcome" in heard(backends, decode(tmp_path / file.filename)).lower()
    written = [r.body.get("content", "") for r in api.requests
               if r.method == "POST" and r.path == path and replied_to(r) == ask["id"]]
    assert not [t for t in written if "welcome" in str(t).lower()], written
