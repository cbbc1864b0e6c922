"""The chat platforms `audiogpt run` serves: each one whose credentials are set."""

from __future__ import annotations

from typing import Protocol

from core_agent.agent import Agent
from core_agent.config import Settings


class Served(Protocol):
    """What `audiogpt run` needs of a platform: serve until stopped, and stop."""

    platform: str

    async def serve(self) -> None: ...

    def stop(self) -> None: ...


def configured(agent: Agent, settings: Settings) -> list[Served]:
    """An adapter for every platform with credentials, imported only when used."""
    platforms: list[Served] = []
    if settings.telegram_bot_token:
        from bots.telegram import TelegramBot

        platforms.append(TelegramBot(agent, settings))
    if settings.slack_bot_token:
        from bots.slack import SlackApp

        platforms.append(SlackApp(agent, settings))
    if settings.discord_bot_token:
        from bots.discord import DiscordBot

        platforms.append(DiscordBot(agent, settings))
    return platforms
