"""Replies into Discord: text in 2000-character pieces, files within the upload limit, and
spoken answers as real voice messages (OGG/Opus, flag 8192, duration and waveform)."""

from __future__ import annotations

import asyncio
import base64
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import discord
import numpy as np
from discord.http import handle_message_parameters

from bots.common import split_text
from core_agent.types import Artifact, Reply
from media.decode import decode
from media.probe import probe

log = logging.getLogger(__name__)
TEXT_LIMIT = 2000  # characters per Discord message
FILES_PER_MESSAGE = 10
WAVEFORM_POINTS = 256  # bytes at most in a voice message's waveform
WAVEFORM_RATE = 8_000  # Hz; plenty for a loudness outline
VOICE_FILENAME = "voice-message.ogg"
SPOKEN_TASKS = ("job:text_to_speech", "job:style_transfer")


def waveform(samples: np.ndarray, points: int = WAVEFORM_POINTS) -> bytes:
    """The loudness outline Discord draws: one byte (0-255) per point, peak at 255."""
    count = max(1, min(points, len(samples)))
    levels = np.array([np.sqrt(np.mean(np.square(part))) if len(part) else 0.0
                       for part in np.array_split(samples, count)])
    top = float(levels.max()) or 1.0
    return bytes(np.round(levels / top * 255).astype(np.uint8))


def megabytes(size: int) -> str:
    """A size as people read it: "10 MB", "1.5 MB"."""
    return f"{size / 2**20:.3g} MB"


class VoiceNote(discord.File):
    """An OGG/Opus file that Discord shows as a voice message."""

    def __init__(self, path: Path) -> None:
        audio = decode(path, WAVEFORM_RATE)
        self.duration = round(audio.duration, 2)
        self.wave = waveform(audio.samples, min(WAVEFORM_POINTS, math.ceil(audio.duration * 10)))
        super().__init__(path, filename=VOICE_FILENAME)

    def to_dict(self, index: int) -> dict[str, Any]:
        return {**super().to_dict(index), "duration_secs": self.duration,
                "waveform": base64.b64encode(self.wave).decode()}


def is_voice_note(path: Path) -> bool:
    """OGG with an Opus stream: the only audio Discord plays as a voice message."""
    try:
        return probe(path).format == "ogg" and path.read_bytes()[28:36] == b"OpusHead"
    except ValueError:
        return False


async def send_voice_message(http: discord.http.HTTPClient, channel_id: int, path: Path,
                             reference: discord.Message | None = None) -> None:
    """POST a voice message (no text allowed with it), as a reply when one is given."""
    note = await asyncio.to_thread(VoiceNote, path)  # ffmpeg reads the waveform
    ref = reference.to_message_reference_dict() if reference else discord.utils.MISSING
    with handle_message_parameters(file=note, flags=discord.MessageFlags(voice=True),
                                   message_reference=ref) as params:
        await http.send_message(channel_id, params=params)


class Target(Protocol):
    """Where a reply goes: after a message, or an interaction's follow-ups."""

    upload_limit: int  # bytes per file

    async def send(self, text: str, files: Sequence[discord.File]) -> None: ...

    async def send_voice(self, path: Path) -> bool:
        """Post a voice message; False where it isn't allowed."""
        ...


def spoken(reply: Reply) -> list[Artifact]:
    """The reply's speech: the spoken reply and speech it was asked to make."""
    said = [a for a in reply.artifacts if a.producer in SPOKEN_TASKS]
    return said + ([reply.voice] if reply.voice else [])


async def deliver(target: Target, reply: Reply) -> None:
    """Text, then files, then voice messages; what can't be sent is said in the text."""
    voices = [a for a in spoken(reply) if await asyncio.to_thread(is_voice_note, a.path)]
    files, notes = [], []
    for art in [a for a in reply.artifacts if a not in voices] + voices:
        size = art.path.stat().st_size
        if size > target.upload_limit:
            notes.append(f"({art.handle} is {megabytes(size)}, over the "
                         f"{megabytes(target.upload_limit)} upload limit here.)")
        elif art not in voices:
            files.append(discord.File(art.path, filename=f"{art.handle}{art.path.suffix}"))
    text = "\n".join([reply.text, *notes])
    pieces = split_text(text, TEXT_LIMIT)
    for piece in pieces[:-1]:
        await target.send(piece, [])
    await target.send(pieces[-1], files[:FILES_PER_MESSAGE])
    for start in range(FILES_PER_MESSAGE, len(files), FILES_PER_MESSAGE):
        await target.send("", files[start:start + FILES_PER_MESSAGE])
    for voice in voices:
        if voice.path.stat().st_size <= target.upload_limit and \
                not await target.send_voice(voice.path):
            await target.send("", [discord.File(voice.path, filename=f"{voice.handle}.ogg")])
