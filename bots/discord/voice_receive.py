"""Voice receive (discord-ext-voice-recv) feeding a VoicePipeline, DAVE frames opened first.

Under DAVE (Discord's end-to-end encryption, on in voice channels since March 2026) each
Opus frame is still encrypted after voice-recv removes the transport layer, and
voice-recv 0.5.2 does not open it. discord.py keeps the call's DAVE session (it encrypts
what the bot says), so this sink asks for the Opus frames, decrypts each with that
session for its sender, and decodes them itself.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord.ext import voice_recv

from bots.discord.voice import Speaker, VoicePipeline

log = logging.getLogger(__name__)


def open_e2ee(session: Any, user_id: int, frame: bytes) -> bytes | None:
    """The Opus frame inside a DAVE frame; unencrypted frames (no DAVE session yet, or
    passthrough during a transition) as they are; None when it cannot be opened."""
    if session is None or not getattr(session, "ready", False):
        return frame
    import davey

    try:
        return bytes(session.decrypt(user_id, davey.MediaType.audio, frame))
    except Exception as err:  # davey raises plain errors named after the failure
        if "Unencrypted" in str(err):
            return frame
        log.debug("dropped a voice frame from %s: %s", user_id, err)
        return None


class PipelineSink(voice_recv.AudioSink):
    """Every speaker's frames, decrypted and decoded, into the pipeline."""

    def __init__(self, pipeline: VoicePipeline) -> None:
        super().__init__()
        self.pipeline = pipeline
        self._decoders: dict[int, discord.opus.Decoder] = {}

    def wants_opus(self) -> bool:
        return True

    def write(self, user: discord.Member | discord.User | None, data: voice_recv.VoiceData
              ) -> None:
        if user is None or user.bot or not data.opus:
            return
        session = getattr(getattr(self.voice_client, "_connection", None), "dave_session", None)
        frame = open_e2ee(session, user.id, data.opus)
        if frame is None:
            return
        decoder = self._decoders.setdefault(user.id, discord.opus.Decoder())
        try:
            pcm = decoder.decode(frame, fec=False)
        except discord.opus.OpusError as err:
            log.debug("undecodable voice frame from %s: %s", user.id, err)
            return
        roles = tuple(r.id for r in getattr(user, "roles", []) if not r.is_default())
        self.pipeline.feed(Speaker(user.id, user.display_name, roles), pcm)

    def cleanup(self) -> None:
        self._decoders.clear()
