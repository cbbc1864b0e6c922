"""The Telegram stand-in holds calls to the Bot API spec: the real python-telegram-bot gets
Telegram's own refusals for what the real server would refuse, so our code can't pass the
tests with a call Telegram turns down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import Bot, ReplyParameters
from telegram.constants import ChatAction
from telegram.error import BadRequest, EndPointNotFound

from tests.bots.test_telegram import GROUP_ID, TOKEN
from tests.stand_ins import telegram_spec
from tests.stand_ins.telegram_api import Refused, TelegramStandIn


@pytest.fixture
async def api_bot() -> AsyncIterator[tuple[TelegramStandIn, Bot]]:
    async with TelegramStandIn(TOKEN) as api, Bot(TOKEN, base_url=api.base_url,
                                                  base_file_url=api.base_file_url) as bot:
        yield api, bot


async def test_an_unknown_method_is_not_found_and_names_are_case_insensitive(
        api_bot: tuple[TelegramStandIn, Bot]) -> None:
    api, bot = api_bot
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": GROUP_ID})
    assert api.calls[-1].result == Refused(404, "Not Found: method not found")
    # Telegram's method names are case-insensitive: this is sendMessage
    sent = await bot.do_api_request("sendmessage", api_kwargs={"chat_id": GROUP_ID,
                                                               "text": "hi"})
    assert sent["text"] == "hi" and api.sent("sendMessage")


@pytest.mark.parametrize(("method", "kwargs", "said"), [
    ("sendmessage", {"chat_id": GROUP_ID}, "message text is empty"),
    ("sendmessage", {"text": "hi"}, "chat_id is empty"),
    ("sendvoice", {"chat_id": GROUP_ID, "duration": 3}, "there is no voice in the request"),
    ("sendvideonote", {"chat_id": GROUP_ID}, "there is no video note in the request"),
    ("getfile", {}, 'parameter "file_id" is required'),
    ("sendchataction", {"chat_id": GROUP_ID, "action": ""}, 'parameter "action" is required'),
])
async def test_a_missing_parameter_is_refused(api_bot: tuple[TelegramStandIn, Bot], method: str,
                                              kwargs: dict[str, Any], said: str) -> None:
    api, bot = api_bot
    with pytest.raises(BadRequest):
        await bot.do_api_request(method, api_kwargs=kwargs)
    assert api.calls[-1].result == Refused(400, f"Bad Request: {said}")
    assert not api.posted


@pytest.mark.parametrize(("extra", "said"), [
    ({"chat_id": "ana"}, "chat not found"),  # neither a number nor an @username
    ({"message_thread_id": "seven"}, 'parameter "message_thread_id" must be Integer'),
    ({"disable_notification": "yes"}, 'parameter "disable_notification" must be Boolean'),
    ({"reply_parameters": "31"}, 'parameter "reply_parameters" must be ReplyParameters'),
    ({"reply_parameters": '{"chat_id": -100777}'},  # its message_id is required
     'parameter "reply_parameters" must be ReplyParameters'),
    ({"reply_parameters": '{"message_id": "31"}'},  # a string, not an Integer
     'parameter "reply_parameters" must be ReplyParameters'),
    ({"entities": '{"type": "bold"}'}, 'parameter "entities" must be Array of MessageEntity'),
])
async def test_a_value_of_the_wrong_type_is_refused(api_bot: tuple[TelegramStandIn, Bot],
                                                    extra: dict[str, Any], said: str) -> None:
    api, bot = api_bot
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP_ID, "hi", api_kwargs=extra)
    assert api.calls[-1].result == Refused(400, f"Bad Request: {said}")
    assert not api.posted


async def test_a_chat_action_must_be_one_the_spec_lists(api_bot: tuple[TelegramStandIn, Bot]
                                                        ) -> None:
    api, bot = api_bot
    with pytest.raises(BadRequest):
        await bot.send_chat_action(GROUP_ID, action="dancing")
    assert api.calls[-1].result == Refused(400, "Bad Request: wrong parameter action in request")
    for action in ChatAction:  # every action python-telegram-bot knows, the spec lists
        assert await bot.send_chat_action("@band_chat", action=action)
    assert len(api.sent("sendChatAction")) == 1 + len(ChatAction)


async def test_well_formed_calls_pass(api_bot: tuple[TelegramStandIn, Bot]) -> None:
    api, bot = api_bot
    reply = ReplyParameters(message_id=31, allow_sending_without_reply=True)
    sent = await bot.send_message(GROUP_ID, "hi", message_thread_id=77, reply_parameters=reply,
                                  disable_notification=True)
    assert sent.text == "hi"
    (call,) = api.sent("sendMessage")
    assert call.json("reply_parameters")["message_id"] == 31


def test_the_extract_covers_what_the_stand_in_serves() -> None:
    """Run scripts/extract_telegram_spec.py after adding a method to the stand-in."""
    served = {name[1:] for name in dir(TelegramStandIn)
              if telegram_spec.method_name(name[1:]) == name[1:]}
    assert set(telegram_spec.SPEC["methods"]) == served
    assert telegram_spec.VERSION.startswith("Bot API ")
    assert "Copyright (c) 2020 Paul Larsen" in telegram_spec.SPEC["license"]
