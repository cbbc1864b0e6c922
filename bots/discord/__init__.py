"""The Discord bot: slash commands, mentions and voice messages, and voice channels."""

from bots.discord.bot import DiscordBot

__all__ = ["DiscordBot"]
