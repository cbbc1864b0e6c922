"""Discord as an adapter: mentions, replies and DMs, slash commands, and voice channels.

Turns in a channel run one at a time, as in the web chat; different channels run side
by side. Each turn's progress and reply go through a target (`targets.py`) chosen by how
it arrived.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections import defaultdict
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bots.base import Adapter
from bots.common import status_line
from bots.discord import convert, outbox
from bots.discord.call import Call
from bots.discord.commands import TASK_COMMANDS, main_command, task_command
from bots.discord.targets import AfterMessage, InInteraction
from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.types import Event, Message, Reply

log = logging.getLogger(__name__)
INTENTS = discord.Intents(guilds=True, guild_messages=True, dm_messages=True,
                          message_content=True, voice_states=True)
Target = AfterMessage | InInteraction
SORRY = "Something went wrong on my side; please try again."


class Gateway(discord.Client):
    """discord.py's client, handing events to the adapter."""

    def __init__(self, bot: DiscordBot) -> None:
        super().__init__(intents=INTENTS, allowed_mentions=discord.AllowedMentions.none())
        self.bot = bot
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        guild = self.bot.settings.discord_sync_guild
        await self.tree.sync(guild=discord.Object(guild) if guild else None)

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and convert.addressed(message, self.user):
            self.bot.start(self.bot.message_turn(message, self.user.id))


class DiscordBot(Adapter):
    """The Discord bot; `serve()` runs until `stop()`."""

    platform = convert.PLATFORM

    def __init__(self, agent: Agent, settings: Settings) -> None:
        super().__init__(agent)
        if settings.discord_bot_token is None:
            raise ValueError("Set DISCORD_BOT_TOKEN to serve Discord.")
        self.settings = settings
        discord.http.Route.BASE = settings.discord_api_url.rstrip("/")
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        self.client = Gateway(self)
        self._register_commands()
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._targets: dict[str, Target] = {}  # by platform_message_id, while a turn runs
        self._tasks: set[asyncio.Task[None]] = set()
        self._calls: dict[int, Call] = {}  # by guild id
        self._closing: asyncio.Task[None] | None = None

    async def serve(self) -> None:
        """Log in, connect to the gateway and answer until stopped."""
        assert self.settings.discord_bot_token is not None
        try:
            await self.client.start(self.settings.discord_bot_token.get_secret_value())
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            for call in list(self._calls.values()):
                await call.stop()
            await self.client.close()

    def stop(self) -> None:
        """Close the connection; `serve()` then returns."""
        self._closing = asyncio.create_task(self.client.close())

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a turn (or other work) beside the gateway, cancelled when the bot stops."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # turns

    async def message_turn(self, origin: discord.Message, bot_id: int) -> None:
        """A mention, a reply to the bot or a DM, answered in its channel."""
        target = AfterMessage(origin, self.client.http)
        with tempfile.TemporaryDirectory(prefix="audiogpt-discord-") as folder:
            try:
                files = await convert.download(origin.attachments, Path(folder),
                                               self.settings.max_upload_bytes)
            except convert.Unfetched as err:
                await origin.reply(str(err), mention_author=False)
                return
            message = convert.from_message(origin, bot_id, files)
            async with origin.channel.typing():
                await self._turn(message, target)

    async def command_turn(self, interaction: discord.Interaction, text: str,
                           file: discord.Attachment | None) -> None:
        """A slash command: deferred at once (Discord allows 3 s), answered when done."""
        await interaction.response.defer(thinking=True)
        self.start(self._command_turn(interaction, text, file))

    async def _command_turn(self, interaction: discord.Interaction, text: str,
                            file: discord.Attachment | None) -> None:
        target = InInteraction(interaction)
        with tempfile.TemporaryDirectory(prefix="audiogpt-discord-") as folder:
            try:
                files = await convert.download([file] if file else [], Path(folder),
                                               self.settings.max_upload_bytes)
            except convert.Unfetched as err:
                await target.send(str(err), [])
                return
            await self._turn(convert.from_interaction(interaction, text, files), target)

    async def _turn(self, message: Message, target: Target) -> None:
        assert message.platform_message_id is not None
        self._targets[message.platform_message_id] = target
        try:
            async with self._locks[message.channel_id]:
                await self.respond(message)
        except Exception:
            log.exception("discord turn %s failed", message.platform_message_id)
            await target.send(SORRY, [])
        finally:
            self._targets.pop(message.platform_message_id, None)

    async def show_progress(self, message: Message, event: Event) -> None:
        target = self._targets.get(message.platform_message_id or "")
        if target is None:
            return
        try:
            await target.show(status_line(event))
        except discord.HTTPException as err:  # progress is a courtesy; the turn goes on
            log.info("status update failed: %s", err)

    async def deliver(self, message: Message, reply: Reply) -> None:
        target = self._targets[message.platform_message_id or ""]
        await target.close()
        await outbox.deliver(target, reply)

    # voice channels and settings

    async def join(self, interaction: discord.Interaction) -> None:
        """Come into the caller's voice channel and listen."""
        voice = getattr(interaction.user, "voice", None)
        if interaction.guild is None or voice is None or voice.channel is None:
            await interaction.response.send_message(
                "Join a voice channel first, then use /join.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        await self._hang_up(interaction.guild.id)
        call = Call(self.agent, voice.channel, self._locks[convert.channel_key(voice.channel.id)])
        await call.start()
        self._calls[interaction.guild.id] = call
        await interaction.edit_original_response(
            content=f"🎙 Listening in {voice.channel.mention}. Talk to me; /leave when done.")

    async def leave(self, interaction: discord.Interaction) -> None:
        """Leave the guild's voice channel."""
        left = interaction.guild is not None and await self._hang_up(interaction.guild.id)
        await interaction.response.send_message(
            "👋 Left the voice channel." if left else "I'm not in a voice channel here.",
            ephemeral=not left)

    async def _hang_up(self, guild_id: int) -> bool:
        call = self._calls.pop(guild_id, None)
        if call is not None:
            await call.stop()
        return call is not None

    async def set_voice(self, interaction: discord.Interaction, on: bool) -> None:
        """Speak (or stop speaking) replies in this channel."""
        channel_id = convert.channel_key(interaction.channel_id or interaction.user.id)
        await self.agent.memory.channel(channel_id, self.platform, self.settings.voice_replies)
        await self.agent.memory.set_voice_replies(channel_id, on)
        await interaction.response.send_message(
            "🔊 I'll speak my replies here." if on else "🔇 Text replies only here.")

    def _register_commands(self) -> None:
        tree = self.client.tree
        tree.add_command(main_command(self.settings.discord_command, self.command_turn))
        for spec in TASK_COMMANDS:
            tree.add_command(task_command(spec, self.command_turn))

        @tree.command(name="join", description="Join your voice channel and answer speech there")
        async def join(interaction: discord.Interaction) -> None:
            await self.join(interaction)

        @tree.command(name="leave", description="Leave the voice channel")
        async def leave(interaction: discord.Interaction) -> None:
            await self.leave(interaction)

        @tree.command(name="voice", description="Turn spoken replies in this channel on or off")
        @app_commands.describe(on="Speak replies (voice messages) in this channel")
        async def voice(interaction: discord.Interaction, on: bool) -> None:
            await self.set_voice(interaction, on)
