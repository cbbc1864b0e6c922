"""Slack: the commands every platform has, as `/audiogpt help` and the rest, edits asked
for in the thread of a file posted earlier, and a mention that shares a file however Slack
delivers it; the real slack-bolt and slack-sdk against the stand-in, real agent and models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bots import commands
from bots.slack.convert import mrkdwn
from bots.slack.home import how
from bots.slack.send import DONE, FAILED
from media.probe import probe
from models.cache import BackendCache
from models.settings import ModelSettings
from tests.bots import test_slack
from tests.bots.test_slack import (
    CHANNEL,
    COMMAND,
    Running,
    heard,
    running,
    slack_settings,
    user_turns,
)
from tests.samples import tone, voice_note, wer
from tests.stand_ins.slack_api import BOT_USER, TEAM, SlackStandIn, mention

slack = test_slack.slack  # Slack's servers, as test_slack has them


@pytest.fixture
async def app(slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache
              ) -> AsyncIterator[Running]:
    async with running(slack_settings(tmp_path, slack), embedder, backends) as served:
        yield served


async def test_the_commands_every_platform_has(app: Running, slack: SlackStandIn) -> None:
    memory, settings = app.runtime.memory, app.runtime.agent.settings

    async def command(text: str) -> str:
        status, body = await slack.send_command(app.url, slack.command_form(COMMAND, text))
        assert status == 200
        return body

    shown, models = await command("help"), ModelSettings.of(settings)
    assert shown == mrkdwn(commands.help_text(models, how(COMMAND), f"{COMMAND} "))
    assert f"{COMMAND} voice on — Also speak my replies here" in shown
    assert await command("tasks") == mrkdwn(commands.tasks_text(models))
    assert await command("voice") == (f"Say {COMMAND} voice on, {COMMAND} voice off or "
                                      f"{COMMAND} voice only.")
    asked = slack.user_message(CHANNEL, f"<@{BOT_USER}> hello")
    await slack.send_event(app.url, mention(asked))
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, asked["ts"]))
    thread = f"slack:{TEAM}:{CHANNEL}:{asked['ts']}"
    assert not (await memory.channel(thread, "slack")).voice_replies
    assert await command("voice on") == "I'll speak my replies here."
    assert (await memory.channel(thread, "slack")).voice_replies  # the thread there already
    later = slack.user_message(CHANNEL, f"<@{BOT_USER}> hello again")
    await slack.send_event(app.url, mention(later))
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, later["ts"]))
    assert (await memory.channel(f"slack:{TEAM}:{CHANNEL}:{later['ts']}", "slack")).voice_replies
    assert await command("cancel") == "Nothing is running."
    assert await command("usage") == await commands.usage(app.runtime.agent, "slack:user:U0ANA")
    assert (await command("reset")).startswith("Done: I've forgotten")
    assert await memory.messages(thread) == []
    # the two mentions' placeholders: the commands posted nothing in the channel
    assert len(slack.called("chat.postMessage")) == 2


async def test_a_reply_in_the_thread_of_a_file_posted_earlier_edits_that_file(
        app: Running, slack: SlackStandIn, backends: BackendCache, tmp_path: Path) -> None:
    first, second = "the first words are blue", "the second words are green"
    posts = []
    for words in (first, second):  # posted without asking the app: it takes no turn
        clip = voice_note(words, tmp_path, name=words.split()[1])
        post = slack.user_message(CHANNEL, "", files=[slack.host_file(clip, "audio/ogg")])
        await slack.send_event(app.url, post)
        posts.append(post)
    ask = slack.user_message(CHANNEL, f"<@{BOT_USER}> make it slower",
                             thread_ts=posts[0]["ts"])
    for delivery in (mention(ask), ask):
        await slack.send_event(app.url, delivery)
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, ask["ts"]))
    (upload,) = slack.uploads.values()
    assert upload.shares == [{"channel": CHANNEL, "thread_ts": posts[0]["ts"]}]
    assert upload.data is not None
    assert wer(first, heard(backends, upload.data, tmp_path)) < 0.3
    made, original = tmp_path / "made.ogg", tmp_path / "first.ogg"
    made.write_bytes(upload.data)
    original.write_bytes(slack.files[posts[0]["files"][0]["id"]].data)
    assert (probe(made).duration or 0.0) > 1.1 * (probe(original).duration or 0.0)
    assert user_turns(app.runtime, posts[0]["ts"]) == user_turns(app.runtime, posts[1]["ts"]) == 0

    again = slack.user_message(CHANNEL, "make it louder", thread_ts=posts[0]["ts"])
    await slack.send_event(app.url, again)  # the app is in the thread now: no mention needed
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, again["ts"]))
    thread = f"slack:{TEAM}:{CHANNEL}:{posts[0]['ts']}"
    assert len([a for a in await app.runtime.memory.artifacts(thread)
                if a.producer == "upload"]) == 1  # the post's file was taken in once



async def test_read_this_aloud_in_the_thread_of_a_post_speaks_that_post(
        app: Running, slack: SlackStandIn, backends: BackendCache, tmp_path: Path) -> None:
    said = "the bus to the airport leaves at nine"
    post = slack.user_message(CHANNEL, said.capitalize() + ".")  # not to the app
    await slack.send_event(app.url, post)
    ask = slack.user_message(CHANNEL, f"<@{BOT_USER}> read this aloud", thread_ts=post["ts"])
    await slack.send_event(app.url, mention(ask))
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, ask["ts"]))
    (upload,) = slack.uploads.values()
    assert upload.shares == [{"channel": CHANNEL, "thread_ts": post["ts"]}]
    assert upload.data is not None and wer(said, heard(backends, upload.data, tmp_path)) < 0.2


@pytest.mark.parametrize("deliveries", [["message"], ["message", "app_mention"],
                                        ["app_mention", "message"], ["teamless message"]])
async def test_a_mention_sharing_a_file_is_answered_once_however_it_comes(
        app: Running, slack: SlackStandIn, tmp_path: Path, deliveries: list[str]) -> None:
    """Slack may send a post that shares a file and mentions the app as a file_share
    message alone, or with an app_mention, in either order (bolt-python#925); a file_share
    message may lack its `team` (slack-api-specs#62): the envelope's team_id stands in."""
    clip = voice_note("transcribe this please", tmp_path)
    shared = slack.user_message(CHANNEL, f"<@{BOT_USER}>",
                                files=[slack.host_file(clip, "audio/ogg")])
    by_kind = {"message": shared, "app_mention": mention(shared),
               "teamless message": {k: v for k, v in shared.items() if k != "team"}}
    for kind in deliveries:
        await slack.send_event(app.url, by_kind[kind])
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, shared["ts"]))
    (answer,) = slack.thread(CHANNEL, shared["ts"])
    assert "transcribe this" in answer["text"].lower()
    assert user_turns(app.runtime, shared["ts"]) == 1
    thread = f"slack:{TEAM}:{CHANNEL}:{shared['ts']}"
    assert len(await app.runtime.memory.messages(thread)) == 2  # the turn and its answer
    assert len(slack.downloads) == 1


async def test_a_mention_sharing_a_file_it_cant_take_is_refused_once(
        app: Running, slack: SlackStandIn, tmp_path: Path) -> None:
    elsewhere = slack.host_file(tone(tmp_path / "tone.wav", 1.0), "audio/wav",
                                url="https://files.example.com/tone.wav")
    shared = slack.user_message(CHANNEL, f"<@{BOT_USER}>", files=[elsewhere])
    for delivery in (shared, mention(shared)):  # the turn ends before anything is stored
        await slack.send_event(app.url, delivery)
    await slack.wait_for(lambda: FAILED in slack.reactions(CHANNEL, shared["ts"]))
    follow = slack.user_message(CHANNEL, f"<@{BOT_USER}> hello")  # queued after both
    await slack.send_event(app.url, mention(follow))
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, follow["ts"]))
    (refusal,) = slack.thread(CHANNEL, shared["ts"])
    assert refusal["text"] == "tone.wav isn't hosted by Slack, so I won't fetch it."
