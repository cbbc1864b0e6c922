"""The Discord stand-in refuses what Discord's API description rules out, as Discord does,
and discord.py reads its refusals as it reads Discord's."""

from __future__ import annotations

import discord
import pytest
from discord.http import Route

from tests.bots.conftest import DiscordREST
from tests.bots.test_discord import GENERAL
from tests.stand_ins import discord_spec

INTERACTION = "/interactions/{interaction_id}/{token}/callback"


@pytest.fixture
def client(discord_rest: DiscordREST) -> discord.Client:
    return discord_rest.client


def test_the_routes_come_from_the_spec_with_its_version() -> None:
    assert discord_spec.SPEC["api_version"] == "10"
    assert "Copyright 2023 Discord" in discord_spec.SPEC["licence"]
    (create,) = [r for r in discord_spec.routes_at("/channels/1300000000000000001/messages")
                 if r.method == "POST"]
    assert create.operation == "create_message"
    assert not discord_spec.routes_at("/channels/general/messages")  # a snowflake is digits


async def test_a_route_discord_lacks_is_not_found(client: discord.Client) -> None:
    with pytest.raises(discord.NotFound) as refused:
        await client.http.request(Route("GET", "/channels/{channel_id}/voice-notes",
                                        channel_id=int(GENERAL)))
    assert (refused.value.code, refused.value.text) == (0, "404: Not Found")


async def test_another_method_on_a_route_is_not_allowed(client: discord.Client) -> None:
    with pytest.raises(discord.HTTPException) as refused:
        await client.http.request(Route("PUT", "/channels/{channel_id}/typing",
                                        channel_id=int(GENERAL)))
    assert refused.value.status == 405


async def test_content_over_2000_characters_is_an_invalid_form_body(
        client: discord.Client) -> None:
    channel = client.get_partial_messageable(int(GENERAL))
    await channel.send("x" * 2000)
    with pytest.raises(discord.HTTPException) as refused:
        await channel.send("x" * 2001)
    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert refused.value.text == "Invalid Form Body\nIn content: Must be 2000 or fewer in length."
    route = Route("POST", INTERACTION, interaction_id=1800000000000000001, token="t")
    with pytest.raises(discord.HTTPException) as in_a_callback:
        await client.http.request(route, json={"type": 4, "data": {"content": "x" * 2001}})
    assert in_a_callback.value.text.endswith("In data.content: Must be 2000 or fewer in length.")


async def test_a_missing_required_field_is_named(client: discord.Client) -> None:
    route = Route("POST", INTERACTION, interaction_id=1800000000000000001, token="t")
    with pytest.raises(discord.HTTPException) as refused:
        await client.http.request(route, json={"data": {"content": "hello"}})
    assert refused.value.code == 50035
    assert refused.value.text == "Invalid Form Body\nIn type: This field is required"
    reply = {"content": "hi", "message_reference": {"channel_id": GENERAL}}
    with pytest.raises(discord.HTTPException) as unreferenced:
        await client.http.request(Route("POST", "/channels/{channel_id}/messages",
                                        channel_id=int(GENERAL)), json=reply)
    assert unreferenced.value.text.endswith("In message_reference.message_id: "
                                            "This field is required")


async def test_a_field_of_the_wrong_type_is_refused(client: discord.Client) -> None:
    route = Route("POST", "/channels/{channel_id}/messages", channel_id=int(GENERAL))
    with pytest.raises(discord.HTTPException) as refused:
        await client.http.request(route, json={"content": "hi", "tts": "yes"})
    assert refused.value.code == 50035
    assert refused.value.text.endswith("In tts: Must be either true or false.")
    with pytest.raises(discord.HTTPException) as not_a_snowflake:
        await client.http.request(route, json={"content": "hi",
                                               "message_reference": {"message_id": "first"}})
    assert not_a_snowflake.value.text.endswith(
        'In message_reference.message_id: Value "first" is not snowflake.')
    await client.http.request(route, json={"content": "hi", "tts": False,
                                           "message_reference": {"message_id": 1}})
