"""Where a turn's progress and reply go: after a message, or into an interaction.

A message gets a status reply that is edited while jobs run and deleted when the answer
is posted (a new message notifies; an edit doesn't). An interaction was deferred at once;
its original response shows the status and becomes the answer's first piece, the rest
are follow-ups, and once the 15-minute token is nearly spent everything goes to the
channel instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import discord

from bots.discord.outbox import send_voice_message

log = logging.getLogger(__name__)
TOKEN_MARGIN = timedelta(minutes=1)  # stop using an interaction token this long before it dies
DM_UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


def may_send_voice(channel: object, me: discord.Member | None) -> bool:
    """Voice messages need their own permission in guild channels; DMs allow them."""
    if isinstance(channel, discord.DMChannel):
        return True
    permissions = getattr(channel, "permissions_for", None)
    return me is not None and permissions is not None and permissions(me).send_voice_messages


class AfterMessage:
    """Progress and reply for a mention, a reply to the bot, or a DM."""

    def __init__(self, origin: discord.Message, http: discord.http.HTTPClient) -> None:
        self.origin, self.http = origin, http
        guild = origin.guild
        self.upload_limit = guild.filesize_limit if guild else DM_UPLOAD_LIMIT
        self._status: discord.Message | None = None
        self._shown = ""
        self._replied = False

    async def show(self, line: str) -> None:
        """Post or edit the status message."""
        if line == self._shown:
            return
        self._shown = line
        if self._status is None:
            self._status = await self.origin.reply(line, mention_author=False)
        else:
            await self._status.edit(content=line)

    async def close(self) -> None:
        """The answer is about to be posted: the status goes."""
        if self._status is not None:
            try:
                await self._status.delete()
            except discord.HTTPException as err:  # a stale status line is no reason to fail
                log.info("status message not removed: %s", err)
            self._status = None

    async def send(self, text: str, files: Sequence[discord.File]) -> None:
        if self._replied:
            await self.origin.channel.send(text or None, files=list(files))
        else:
            await self.origin.reply(text or None, files=list(files), mention_author=False)
            self._replied = True

    async def send_voice(self, path: Path) -> bool:
        guild = self.origin.guild
        if not may_send_voice(self.origin.channel, guild.me if guild else None):
            return False
        try:
            await send_voice_message(self.http, self.origin.channel.id, path, self.origin)
        except discord.HTTPException as err:
            log.warning("voice message refused in %s: %s", self.origin.channel.id, err)
            return False
        return True


class InInteraction:
    """Progress and reply for a slash command (already deferred)."""

    def __init__(self, interaction: discord.Interaction) -> None:
        self.interaction = interaction
        self.upload_limit = interaction.filesize_limit
        self._answered = False

    def _token_alive(self) -> bool:
        return discord.utils.utcnow() < self.interaction.expires_at - TOKEN_MARGIN

    async def show(self, line: str) -> None:
        if self._token_alive():
            await self.interaction.edit_original_response(content=line)

    async def close(self) -> None:
        """The original response is overwritten by the answer's first piece."""

    async def send(self, text: str, files: Sequence[discord.File]) -> None:
        interaction = self.interaction
        if not self._token_alive():
            await self._to_channel(text, files)
        elif not self._answered:
            await interaction.edit_original_response(content=text or None, attachments=files)
        else:
            await interaction.followup.send(content=text or discord.utils.MISSING,
                                            files=list(files))
        self._answered = True

    async def _to_channel(self, text: str, files: Sequence[discord.File]) -> None:
        channel = self.interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("interaction %s expired and its channel is out of reach",
                        self.interaction.id)
            return
        prefix = "" if self._answered else f"{self.interaction.user.mention} "
        await channel.send(prefix + text or None, files=list(files))

    async def send_voice(self, path: Path) -> bool:
        if not self.interaction.app_permissions.send_voice_messages or \
                self.interaction.channel_id is None:
            return False
        try:
            await send_voice_message(self.interaction.client.http, self.interaction.channel_id,
                                     path)
        except discord.HTTPException as err:
            log.warning("voice message refused in %s: %s", self.interaction.channel_id, err)
            return False
        return True
