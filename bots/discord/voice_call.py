"""The bot in a voice channel: voice receive into the pipeline, its replies played back."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import discord
from discord.ext import voice_recv

from bots.common import split_text
from bots.discord.convert import channel_key
from bots.discord.send import TEXT_LIMIT
from bots.discord.voice import Speaker, VoicePipeline
from bots.discord.voice_receive import PipelineSink
from core_agent.agent import Agent
from core_agent.types import Reply

log = logging.getLogger(__name__)


class Call:
    """One voice channel the bot sits in (at most one per guild, as Discord allows)."""

    def __init__(self, agent: Agent, channel: discord.VoiceChannel | discord.StageChannel,
                 lock: asyncio.Lock) -> None:
        self.channel = channel
        self.pipeline = VoicePipeline(
            agent, channel_key(channel.id), lock=lock, on_reply=self._post,
            scopes=[f"discord:guild:{channel.guild.id}", f"discord:channel:{channel.id}"])
        self._client: voice_recv.VoiceRecvClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Connect (DAVE is negotiated by discord.py when davey is installed) and listen."""
        self._client = await self.channel.connect(cls=voice_recv.VoiceRecvClient)
        self._client.listen(PipelineSink(self.pipeline))
        self._tasks = [asyncio.create_task(self.pipeline.run()),
                       asyncio.create_task(self._play())]

    async def stop(self) -> None:
        """Stop listening and playing, and leave the channel."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._client is not None:
            with contextlib.suppress(Exception):  # already gone is fine
                self._client.stop_listening()
            await self._client.disconnect(force=True)

    async def _play(self) -> None:
        """Replies one after another, each to its end."""
        loop = asyncio.get_running_loop()
        while True:
            source = await self.pipeline.playback.get()
            if self._client is None or not self._client.is_connected():
                continue
            finished: asyncio.Future[None] = loop.create_future()

            def ended(_: Exception | None, done: asyncio.Future[None] = finished) -> None:
                loop.call_soon_threadsafe(done.set_result, None)  # called from the player thread

            self._client.play(source, after=ended)
            await finished

    async def _post(self, speaker: Speaker, reply: Reply) -> None:
        """What was said and answered, also as text in the channel's chat."""
        text = split_text(f"**{speaker.name}** · {reply.text}", TEXT_LIMIT)[0]
        try:
            await self.channel.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as err:
            log.info("could not post in %s's chat: %s", self.channel.id, err)
