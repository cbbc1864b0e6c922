"""Fixtures for the bots' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import discord
import pytest
from discord.http import Route

from tests.stand_ins.discord_api import DiscordStandIn

DISCORD_PAYLOADS = Path(__file__).parent / "discord_payloads"
DISCORD_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GstandIn.discord-bot-token-for-tests-0123456789"


@dataclass
class DiscordREST:
    """discord.py's client logged in (no gateway) to a fresh Discord stand-in."""

    api: DiscordStandIn
    client: discord.Client


@pytest.fixture
async def discord_rest(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordREST]:
    async with DiscordStandIn(DISCORD_PAYLOADS) as api:
        monkeypatch.setattr(Route, "BASE", api.api_url)
        client = discord.Client(intents=discord.Intents.none())
        await client.login(DISCORD_TOKEN)
        try:
            yield DiscordREST(api, client)
        finally:
            await client.close()
