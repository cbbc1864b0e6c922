"""Discord as an adapter: discord.py's client on the gateway, the handlers of
`handlers.py` (mentions, replies and DMs, slash commands, voice channels), and replies
posted through the target (`send.py`) each turn arrived by.

Turns in a channel run one at a time, as in the web chat; different channels run side
by side.
"""

from __future__ import annotations

import asyncio
import logging

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bots.base import Adapter
from bots.common import status_line
from bots.discord import convert, send
from bots.discord.handlers import Handlers
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.types import Event, Message, Reply

log = logging.getLogger(__name__)
INTENTS = discord.Intents(guilds=True, guild_messages=True, dm_messages=True,
                          message_content=True, voice_states=True)


class Gateway(discord.Client):
    """discord.py's client, handing messages to the bot's handlers."""

    def __init__(self, bot: DiscordBot) -> None:
        super().__init__(intents=INTENTS, allowed_mentions=discord.AllowedMentions.none())
        self.bot = bot
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        """Register the commands: in one guild when the settings name one (at once, for
        testing: the commands are copied there, since a guild's own set is empty), else
        globally."""
        if guild := self.bot.settings.discord_sync_guild:
            self.tree.copy_global_to(guild=discord.Object(guild))
        await self.tree.sync(guild=discord.Object(guild) if guild else None)

    async def on_message(self, message: discord.Message) -> None:
        await self.bot.handlers.on_message(message)


class DiscordBot(Adapter):
    """The Discord bot; `serve()` runs until `stop()`."""

    platform = convert.PLATFORM
    text_limit = send.TEXT_LIMIT

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        if settings.discord_bot_token is None:
            raise ValueError("Set DISCORD_BOT_TOKEN to serve Discord.")
        self.settings = settings
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        self.client = Gateway(self)
        self.handlers = Handlers(self, self.client, settings)
        self.handlers.register(self.client.tree)
        self._closing: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        """Log in, connect to the gateway and answer until stopped."""
        assert self.settings.discord_bot_token is not None
        try:
            await self.client.start(self.settings.discord_bot_token.get_secret_value())
        finally:
            await self.turns.close()
            await self.handlers.hang_up_all()
            await self.client.close()

    def stop(self) -> None:
        """Close the connection; `serve()` then returns."""
        self._closing = asyncio.create_task(self.client.close())

    async def show_progress(self, message: Message, event: Event) -> None:
        target = self.handlers.target(message)
        if target is None:
            return
        try:
            await target.show(status_line(event))
        except discord.HTTPException as err:  # progress is a courtesy; the turn goes on
            log.info("status update failed: %s", err)

    async def deliver(self, message: Message, reply: Reply) -> None:
        target = self.handlers.target(message)
        assert target is not None  # registered by the turn before it responded
        await target.close()
        posted = await send.deliver(target, reply)
        memory = self.agent.memory
        if posted.text is not None and reply.message_id is not None:
            await memory.update_message(reply.message_id, platform_message_id=posted.text)
        for artifact, message_id in posted.files:
            await memory.mark_posted(artifact.id, message_id)
