"""The Slack stand-in refuses what Slack refuses, with Slack's errors, and slack-sdk reads its
refusals as it reads Slack's (the real AsyncWebClient against the stand-in); the app meets
each refusal with a reply that says why, or a retry where slack-sdk allows one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bots.slack import send
from bots.slack.convert import Place
from bots.slack.send import DONE, FAILED
from core_agent.types import Artifact, Kind, Reply
from models.cache import BackendCache
from tests.bots import test_slack
from tests.bots.test_slack import (
    BOT_TOKEN,
    CHANNEL,
    Running,
    running,
    slack_settings,
    user_turns,
)
from tests.samples import tone
from tests.stand_ins import slack_spec
from tests.stand_ins.slack_api import BOT_USER, TEAM, SlackStandIn, mention

slack = test_slack.slack  # Slack's servers, as test_slack has them


@pytest.fixture
def client(slack: SlackStandIn) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url)


async def refused(call: object) -> dict[str, object]:
    """Slack's answer to a call it refuses, as slack-sdk raises it."""
    with pytest.raises(SlackApiError) as raised:
        await call  # type: ignore[misc]
    return dict(raised.value.response.data)  # type: ignore[arg-type]


def test_the_methods_come_from_slack_sdk_with_its_version_and_licence() -> None:
    assert slack_spec.VERSION == "3.48.0"
    assert "Slack Technologies" in slack_spec.SPEC["licence"]
    post = slack_spec.SPEC["methods"]["chat.postMessage"]
    assert post["required"] == ["channel"] and "thread_ts" in post["optional"]
    assert post["sent_as"] == ["json"]
    assert slack_spec.SPEC["methods"]["conversations.replies"]["http_verb"] == "GET"
    assert len(slack_spec.SPEC["methods"]) > 300


async def test_an_unknown_method_and_a_wrong_or_missing_token(slack: SlackStandIn,
                                                              client: AsyncWebClient) -> None:
    assert await refused(client.api_call("chat.postMesage", json={"channel": CHANNEL})) == {
        "ok": False, "error": "unknown_method"}
    wrong = AsyncWebClient(token="xoxb-0-wrong", base_url=slack.api_url)
    assert (await refused(wrong.auth_test()))["error"] == "invalid_auth"
    anonymous = AsyncWebClient(base_url=slack.api_url)
    assert (await refused(anonymous.auth_test()))["error"] == "not_authed"
    assert (await client.auth_test())["ok"] is True


async def test_a_missing_required_argument_gets_the_error_slack_gives(
        slack: SlackStandIn, client: AsyncWebClient) -> None:
    assert (await refused(client.api_call("chat.postMessage", json={"text": "hi"})))[
        "error"] == "channel_not_found"
    textless = client.api_call("chat.postMessage", json={"channel": CHANNEL})
    assert (await refused(textless))["error"] == "no_text"
    posted = await client.chat_postMessage(channel=CHANNEL, text="hi")
    answer = await refused(client.api_call("reactions.add", params={
        "channel": CHANNEL, "timestamp": posted["ts"], "name": ""}))
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"] == {"messages": ["[ERROR] missing required field: name"]}
    assert (await refused(client.api_call("files.completeUploadExternal", params={
        "channel_id": CHANNEL})))["error"] == "invalid_arguments"
    assert [c.method for c in slack.calls].count("chat.postMessage") == 3


async def test_limits_on_text_and_file_size(client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=CHANNEL, text="x" * slack_spec.TEXT_CHARS)
    too_long = client.chat_postMessage(channel=CHANNEL, text="x" * (slack_spec.TEXT_CHARS + 1))
    assert (await refused(too_long))["error"] == "msg_too_long"
    empty = client.files_getUploadURLExternal(filename="a1.ogg", length=0)
    assert (await refused(empty))["error"] == "missing_argument"
    huge = client.files_getUploadURLExternal(filename="a1.ogg", length=(1 << 30) + 1)
    assert (await refused(huge))["error"] == "file_upload_size_restricted"
    assert (await client.files_getUploadURLExternal(filename="a1.ogg", length=1 << 30))["ok"]


async def test_channels_the_app_cant_use(slack: SlackStandIn, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="hi")
    slack.refused |= {CHANNEL: "is_archived", "C0NOTIN": "not_in_channel",
                      "C0GONE": "channel_not_found"}
    assert (await refused(client.chat_postMessage(channel=CHANNEL, text="hi")))[
        "error"] == "is_archived"
    assert (await refused(client.reactions_add(channel=CHANNEL, timestamp=posted["ts"],
                                               name="x")))["error"] == "is_archived"
    assert (await refused(client.chat_postMessage(channel="C0NOTIN", text="hi")))[
        "error"] == "not_in_channel"
    assert (await refused(client.conversations_replies(channel="C0GONE", ts=posted["ts"])))[
        "error"] == "channel_not_found"


async def test_a_rate_limited_call_is_a_429_with_retry_after(slack: SlackStandIn,
                                                             client: AsyncWebClient) -> None:
    slack.rate_limited["chat.postMessage"] = 1
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL, text="hi")
    response = raised.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert response.headers["Retry-After"] == "1"
    slack.rate_limited["chat.postMessage"] = 1
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=1))
    assert (await client.chat_postMessage(channel=CHANNEL, text="hi"))["ok"]
    assert len(slack.called("chat.postMessage")) == 3


@pytest.fixture
async def app(slack: SlackStandIn, tmp_path: Path, embedder: Any, backends: BackendCache
              ) -> AsyncIterator[Running]:
    async with running(slack_settings(tmp_path, slack), embedder, backends) as served:
        yield served


@pytest.mark.parametrize(("why", "words"), [("is_archived", "that channel is archived"),
                                            ("not_in_channel", "I'm not a member of that channel")])
async def test_a_mention_where_the_app_cant_post_is_answered_in_a_direct_message(
        app: Running, slack: SlackStandIn, caplog: pytest.LogCaptureFixture, why: str,
        words: str) -> None:
    slack.refused[CHANNEL] = why
    asked = slack.user_message(CHANNEL, f"<@{BOT_USER}> hello")
    await slack.send_event(app.url, mention(asked))
    await slack.wait_for(lambda: any(c.params["name"] == FAILED  # the turn's last call
                                     for c in slack.called("reactions.add")))
    (note,) = [m for (c, _), m in slack.messages.items() if c == "U0ANA"]  # the app's DM
    assert note["text"] == f"I couldn't answer you in <#{CHANNEL}>: {words}."
    tried = [c for c in slack.called("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert len(tried) == 1  # the placeholder; no apology sent after it into the same refusal
    assert not [r for r in caplog.records if r.exc_info]  # no "turn failed" traceback
    assert user_turns(app.runtime, asked["ts"]) == 0


async def test_a_file_over_slacks_1_gb_is_named_and_the_others_attached(
        slack: SlackStandIn, client: AsyncWebClient, tmp_path: Path) -> None:
    huge = tmp_path / "huge.wav"
    with huge.open("wb") as out:  # sparse: no gigabyte is written
        out.truncate(send.FILE_LIMIT + 1)
    small = tone(tmp_path / "small.wav", 0.5)
    made = [Artifact(id=h, handle=h, kind=Kind.AUDIO, mime="audio/wav", path=p,
                     producer="job:text_to_audio") for h, p in (("a1", huge), ("a2", small))]
    place = Place(TEAM, CHANNEL, (await client.chat_postMessage(channel=CHANNEL, text="hi"))["ts"])
    status = await send.placeholder(client, place)
    reply = Reply(channel_id=place.channel_id, text="Here are a1 and a2.", artifacts=made)
    await send.answer(client, place, status, reply)
    answer, note = slack.thread(CHANNEL, place.thread_ts)
    assert answer["text"] == "Here are a1 and a2."
    assert note["text"] == ("a1 is 1.0 GB, over Slack's 1 GB limit for a file, so it isn't "
                            "attached.")
    assert [u.filename for u in slack.uploads.values()] == ["a2.wav"]
    assert [int(c.params["length"]) for c in slack.called("files.getUploadURLExternal")] == [
        small.stat().st_size]


async def test_a_long_reply_keeps_under_slacks_text_limit(slack: SlackStandIn,
                                                          client: AsyncWebClient) -> None:
    place = Place(TEAM, CHANNEL, (await client.chat_postMessage(channel=CHANNEL, text="hi"))["ts"])
    status = await send.placeholder(client, place)
    text = "<&> " * 20_000  # 80,000 characters, each escaped to several
    await send.answer(client, place, status, Reply(channel_id=place.channel_id, text=text))
    pieces = slack.thread(CHANNEL, place.thread_ts)
    assert len(pieces) > 1 and not any(p["text"].startswith("⏳") for p in pieces)
    assert "".join(p["text"] for p in pieces).count("&lt;&amp;&gt;") == 20_000


async def test_rate_limited_posts_are_retried_and_progress_edits_skipped(
        app: Running, slack: SlackStandIn) -> None:
    slack.rate_limited |= {"chat.postMessage": 1, "chat.update": 1}
    asked = slack.user_message(CHANNEL, f"<@{BOT_USER}> hello")
    await slack.send_event(app.url, mention(asked))
    await slack.wait_for(lambda: DONE in slack.reactions(CHANNEL, asked["ts"]))
    (answer,) = slack.thread(CHANNEL, asked["ts"])
    assert not answer["text"].startswith("⏳")
    assert slack.rate_limited == {"chat.postMessage": 0, "chat.update": 0}
    posts = [c.params["text"] for c in slack.called("chat.postMessage")]
    assert posts == [send.FIRST_LINE, send.FIRST_LINE]  # the placeholder, after Retry-After
    edits = [c.params["text"] for c in slack.called("chat.update")]
    assert edits[0].startswith("⏳") and edits.count(edits[0]) == 1  # not waited out
    assert edits[-1] == answer["text"]
