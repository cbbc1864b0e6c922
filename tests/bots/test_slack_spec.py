"""The Slack stand-in refuses what Slack refuses, with Slack's errors, and slack-sdk reads its
refusals as it reads Slack's: the real AsyncWebClient against the stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.bots.test_slack import APP_TOKEN, BOT_TOKEN, CHANNEL, SECRET
from tests.stand_ins import slack_spec
from tests.stand_ins.slack_api import SlackStandIn


@pytest.fixture
async def slack() -> AsyncIterator[SlackStandIn]:
    async with SlackStandIn(BOT_TOKEN, SECRET, app_token=APP_TOKEN) as server:
        yield server


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
