"""Discord events in: mentions, replies to the bot and DMs, slash commands, voice channels.

Every task of the registry has a slash command besides `/audiogpt request: [file:]`; it
words its request the way its registry entry says people ask for the task, so the planner
(the same one every message meets) plans it, with the command's file as the turn's upload.
The commands every platform has are slash commands too: /help, /tasks, /cancel, /reset,
/usage, and /voice on and /voice off as sub-commands, so they are typed as anywhere else.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bots import commands
from bots.base import Adapter
from bots.common import split_text
from bots.discord import convert
from bots.discord.send import TEXT_LIMIT, AfterMessage, InInteraction, Target
from bots.discord.voice_call import Call
from core_agent.config import Settings
from core_agent.errors import AttachmentNotTaken
from core_agent.types import Message
from tasks import TASKS
from tasks.base import TaskSpec

log = logging.getLogger(__name__)
Run = Callable[[discord.Interaction, str, discord.Attachment | None], Awaitable[None]]
DESCRIPTION_LIMIT = 100  # characters, Discord's cap for command and option descriptions
PRIVATE_ANSWERS = ("help", "tasks", "usage")  # shown only to who asked


def how(settings: Settings) -> str:
    """How to ask on Discord, for /help."""
    return (f"Mention me with a request and attach audio, video or a picture, message me "
            f"directly, or use /{settings.discord_command} or a task's own command (such as "
            f"/transcribe). Reply to any file posted here (\"make it slower\") to work on that "
            f"file; reply to my messages without mentioning me. /join brings me into your "
            f"voice channel.")


@dataclass(frozen=True)
class TaskCommand:
    """A task as a slash command, worded as its registry entry says."""

    spec: TaskSpec

    @property
    def name(self) -> str:
        return self.spec.command.name

    @property
    def task(self) -> str:
        return self.spec.id

    @property
    def takes_file(self) -> bool:
        """Tasks that work on media take a file."""
        return bool(self.spec.inputs)

    @property
    def takes_text(self) -> bool:
        return "{text}" in self.spec.command.request

    @property
    def description(self) -> str:
        return self.spec.description[:DESCRIPTION_LIMIT]

    def request(self, text: str | None) -> str:
        """The request the command stands for, with its text."""
        return self.spec.command.request.format(text=text or "")


TASK_COMMANDS = [TaskCommand(spec) for spec in TASKS.values()]


def main_command(name: str, run: Run) -> app_commands.Command[Any, ..., None]:
    """`/audiogpt request: [file:]`: anything, in words."""

    @app_commands.describe(request="What you want, in words",
                           file="Audio, video or a picture to work on")
    async def audiogpt(interaction: discord.Interaction, request: str,
                       file: discord.Attachment | None = None) -> None:
        await run(interaction, request, file)

    return app_commands.Command(name=name, callback=audiogpt,
                                description="Ask for speech, sound or music work in words")


def task_command(command: TaskCommand, run: Run) -> app_commands.Command[Any, ..., None]:
    """One task's command, with the options it needs."""
    text_help = command.spec.command.text_help

    @app_commands.describe(file="The recording (or picture) to work on", text=text_help)
    async def with_both(interaction: discord.Interaction, file: discord.Attachment,
                        text: str) -> None:
        await run(interaction, command.request(text), file)

    @app_commands.describe(file="The recording (or picture) to work on")
    async def with_file(interaction: discord.Interaction, file: discord.Attachment) -> None:
        await run(interaction, command.request(None), file)

    @app_commands.describe(text=text_help)
    async def with_text(interaction: discord.Interaction, text: str) -> None:
        await run(interaction, command.request(text), None)

    callback = {(True, True): with_both, (True, False): with_file,
                (False, True): with_text}[(command.takes_file, command.takes_text)]
    return app_commands.Command(name=command.name, description=command.description,
                                callback=callback)  # type: ignore[arg-type]


class Handlers:
    """The bot's handlers: messages from the gateway, and the slash commands, each added
    to the command tree in `register`."""

    def __init__(self, adapter: Adapter, client: discord.Client, settings: Settings) -> None:
        self.adapter, self.agent = adapter, adapter.agent
        self.client, self.settings = client, settings
        self._targets: dict[str, Target] = {}  # by platform_message_id, while a turn runs
        self._calls: dict[int, Call] = {}  # by guild id
        self.commands = commands.CommandSet(self.agent, adapter.turns, how(settings))

    def register(self, tree: app_commands.CommandTree[Any]) -> None:
        """Add every slash command."""
        tree.add_command(main_command(self.settings.discord_command, self.on_command))
        for command in TASK_COMMANDS:
            tree.add_command(task_command(command, self.on_command))

        @tree.command(name="join", description="Join your voice channel and answer speech there")
        async def join(interaction: discord.Interaction) -> None:
            await self.on_join(interaction)

        @tree.command(name="leave", description="Leave the voice channel")
        async def leave(interaction: discord.Interaction) -> None:
            await self.on_leave(interaction)

        for name in ("help", "tasks", "cancel", "reset", "usage"):
            tree.add_command(self._chat_command(name))
        voice = app_commands.Group(name="voice", description="Spoken replies in this channel")
        for choice in (c for c in commands.COMMANDS if c.name == "voice"):
            voice.add_command(self._chat_command("voice", choice.word))
        tree.add_command(voice)

    def _chat_command(self, name: str, word: str = "") -> app_commands.Command[Any, ..., None]:
        """One of the commands every platform has (`/voice on` is a sub-command)."""
        command = next(c for c in commands.COMMANDS if (c.name, c.word) == (name, word))

        async def callback(interaction: discord.Interaction) -> None:
            await self.on_chat_command(interaction, name, [word] if word else [])

        return app_commands.Command(name=word or name, description=command.does,
                                    callback=callback)

    def target(self, message: Message) -> Target | None:
        """Where the running turn of a message shows progress and posts its reply."""
        return self._targets.get(message.platform_message_id or "")

    # turns

    async def on_message(self, origin: discord.Message) -> None:
        """A mention, a reply to the bot or a DM starts a turn in its channel."""
        me = self.client.user
        if me is not None and convert.addressed(origin, me):
            self.adapter.turns.start(convert.channel_key(origin.channel.id),
                                     self._message_turn(origin, me.id))

    async def _message_turn(self, origin: discord.Message, bot_id: int) -> None:
        target = AfterMessage(origin, self.client.http)
        attachments, replying = list(origin.attachments), await self._replying_to(origin)
        replied = convert.replied_to(origin)
        if replied is not None and not replying:  # a post the bot never took: bring its files
            attachments += replied.attachments
        with tempfile.TemporaryDirectory(prefix="audiogpt-discord-") as folder:
            try:
                files = await convert.download(attachments, Path(folder),
                                               self.settings.max_upload_bytes)
            except AttachmentNotTaken as err:
                await origin.reply(str(err), mention_author=False)
                return
            message = convert.from_message(origin, bot_id, files, replying)
            async with origin.channel.typing():
                await self._turn(message, target)

    async def _replying_to(self, origin: discord.Message) -> list[str]:
        """Handles of the files the replied-to message carried (the bot's or anyone's)."""
        if origin.reference is None or origin.reference.message_id is None:
            return []
        carried = await self.agent.memory.carried_by(convert.channel_key(origin.channel.id),
                                                     str(origin.reference.message_id))
        return [a.handle for a in carried]

    async def on_command(self, interaction: discord.Interaction, text: str,
                         file: discord.Attachment | None) -> None:
        """A slash command: deferred at once (Discord allows 3 s), answered when done."""
        await interaction.response.defer(thinking=True)
        channel_id = convert.channel_key(interaction.channel_id or interaction.user.id)
        self.adapter.turns.start(channel_id, self._command_turn(interaction, text, file))

    async def _command_turn(self, interaction: discord.Interaction, text: str,
                            file: discord.Attachment | None) -> None:
        target = InInteraction(interaction)
        with tempfile.TemporaryDirectory(prefix="audiogpt-discord-") as folder:
            try:
                files = await convert.download([file] if file else [], Path(folder),
                                               self.settings.max_upload_bytes)
            except AttachmentNotTaken as err:
                await target.send(str(err), [])
                return
            await self._turn(convert.from_interaction(interaction, text, files), target)

    async def _turn(self, message: Message, target: Target) -> None:
        assert message.platform_message_id is not None
        self._targets[message.platform_message_id] = target
        try:
            async with self.adapter.turns.apologising(message.platform_message_id,
                                                      lambda text: target.send(text, [])):
                await self.adapter.respond(message)
        finally:
            self._targets.pop(message.platform_message_id, None)

    # voice channels and settings

    async def on_join(self, interaction: discord.Interaction) -> None:
        """Come into the caller's voice channel and listen."""
        voice = getattr(interaction.user, "voice", None)
        if interaction.guild is None or voice is None or voice.channel is None:
            await interaction.response.send_message(
                "Join a voice channel first, then use /join.", ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        await self._hang_up(interaction.guild.id)
        lock = self.adapter.turns.lock(convert.channel_key(voice.channel.id))
        call = Call(self.agent, voice.channel, lock)
        await call.start()
        self._calls[interaction.guild.id] = call
        await interaction.edit_original_response(
            content=f"🎙 Listening in {voice.channel.mention}. Talk to me; /leave when done.")

    async def on_leave(self, interaction: discord.Interaction) -> None:
        """Leave the guild's voice channel."""
        left = interaction.guild is not None and await self._hang_up(interaction.guild.id)
        await interaction.response.send_message(
            "👋 Left the voice channel." if left else "I'm not in a voice channel here.",
            ephemeral=not left)

    async def hang_up_all(self) -> None:
        """Leave every voice channel (the bot is stopping)."""
        for guild_id in list(self._calls):
            await self._hang_up(guild_id)

    async def _hang_up(self, guild_id: int) -> bool:
        call = self._calls.pop(guild_id, None)
        if call is not None:
            await call.stop()
        return call is not None

    async def on_chat_command(self, interaction: discord.Interaction, name: str,
                              words: list[str]) -> None:
        """A command answered at once: to the caller alone where it is about them (help,
        tasks, usage), to the channel where it changes the channel."""
        message = convert.from_interaction(interaction, "", [])
        if not self.agent.access.admits(message):
            await interaction.response.send_message(
                "Sorry, this bot isn't open to you here. Ask its admin to add you.",
                ephemeral=True)
            return
        answer = await self.commands.run(name, words, [message.channel_id], message.user_id)
        private = name in PRIVATE_ANSWERS
        first, *rest = split_text(answer, TEXT_LIMIT)
        await interaction.response.send_message(first, ephemeral=private)
        for piece in rest:
            await interaction.followup.send(piece, ephemeral=private)
