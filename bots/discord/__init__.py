"""The Discord bot: slash commands, mentions and voice messages, and voice channels."""

from bots.discord.adapter import DiscordBot

__all__ = ["DiscordBot"]
