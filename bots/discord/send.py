"""Replies into Discord: text in 2000-character pieces, files within the upload limit (as
many to a message as one request holds: ten, 25 MiB together), and spoken answers as real
voice messages (OGG/Opus in a part declared audio/ogg, flag 8192, duration and waveform),
through a target chosen by how the turn arrived. Where voice messages aren't allowed the
speech goes as an .ogg file, and the reply says why once.

After a message, a status reply is edited while jobs run and deleted when the answer is
posted (a new message notifies; an edit doesn't). An interaction was deferred at once;
its original response shows the status and becomes the answer's first piece, the rest
are follow-ups, and once the 15-minute token is nearly spent everything goes to the
channel instead.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import numpy as np
from discord.http import handle_message_parameters

from bots.common import split_text
from core_agent.errors import MediaError
from core_agent.types import Artifact, Reply
from media.decode import decode
from media.probe import probe
from tasks import made_by

log = logging.getLogger(__name__)
TEXT_LIMIT = 2000  # characters per Discord message
FILES_PER_MESSAGE = 10
REQUEST_LIMIT = 25 * 2**20  # bytes in one message's request, its files together (413 over it)
REQUEST_OVERHEAD = 64 * 2**10  # bytes of a request left for its text and multipart framing
WAVEFORM_POINTS = 256  # bytes at most in a voice message's waveform
WAVEFORM_RATE = 8_000  # Hz; plenty for a loudness outline
VOICE_FILENAME = "voice-message.ogg"
VOICE_MIME = "audio/ogg"
VOICE_OFF_HERE = 50173  # Discord's code: "Cannot send voice messages in this channel."
NO_VOICE_HERE = "(Voice messages aren't allowed in this channel, so the speech is attached.)"
TOKEN_MARGIN = timedelta(minutes=1)  # stop using an interaction token this long before it dies
DM_UPLOAD_LIMIT = discord.utils.DEFAULT_FILE_SIZE_LIMIT_BYTES


@dataclass(frozen=True)
class Spoken:
    """A voice message's fate: the message it was posted as, or why it wasn't."""

    message_id: str | None = None
    why_not: str | None = None


@dataclass(frozen=True)
class Posted:
    """Where a reply went: the message its text began in, and each file's message (a
    reply to one of them works on its files)."""

    text: str | None
    files: list[tuple[Artifact, str]]


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
    except MediaError:
        return False


async def send_voice_message(http: discord.http.HTTPClient, channel_id: int, path: Path,
                             reference: discord.Message | None = None) -> Spoken:
    """POST a voice message (no text allowed with it), as a reply when one is given; its
    message id when it was posted, else why not, in a line for the reply."""
    note = await asyncio.to_thread(VoiceNote, path)  # ffmpeg reads the waveform
    ref = reference.to_message_reference_dict() if reference else discord.utils.MISSING
    with handle_message_parameters(file=note, flags=discord.MessageFlags(voice=True),
                                   message_reference=ref) as params:
        # discord.py labels every file part application/octet-stream; Discord takes a voice
        # message only from a part declared as audio.
        assert params.multipart is not None
        next(p for p in params.multipart if p["name"] == "files[0]")["content_type"] = VOICE_MIME
        try:
            posted = await http.send_message(channel_id, params=params)
        except discord.HTTPException as err:
            log.warning("voice message refused in %s: %s", channel_id, err)
            if err.code == VOICE_OFF_HERE:
                return Spoken(why_not=NO_VOICE_HERE)
            return Spoken(why_not=f"(Discord didn't take the voice message ({err.text}); the "
                                  "speech is attached.)")
    return Spoken(message_id=str(posted["id"]))


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

    async def send(self, text: str, files: Sequence[discord.File]) -> str | None:
        """Post a message; its id."""
        if self._replied:
            posted = await self.origin.channel.send(text or None, files=list(files))
        else:
            posted = await self.origin.reply(text or None, files=list(files),
                                             mention_author=False)
            self._replied = True
        return str(posted.id)

    async def send_voice(self, path: Path) -> Spoken:
        """Post a voice message, or say why not."""
        guild = self.origin.guild
        if not may_send_voice(self.origin.channel, guild.me if guild else None):
            return Spoken(why_not=NO_VOICE_HERE)
        return await send_voice_message(self.http, self.origin.channel.id, path, self.origin)


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

    async def send(self, text: str, files: Sequence[discord.File]) -> str | None:
        """Post a message (the original response first); its id, if it was posted."""
        interaction = self.interaction
        posted: discord.Message | None
        if not self._token_alive():
            posted = await self._to_channel(text, files)
        elif not self._answered:
            posted = await interaction.edit_original_response(content=text or None,
                                                              attachments=files)
        else:
            posted = await interaction.followup.send(content=text or discord.utils.MISSING,
                                                     files=list(files), wait=True)
        self._answered = True
        return str(posted.id) if posted is not None else None

    async def _to_channel(self, text: str, files: Sequence[discord.File]
                          ) -> discord.Message | None:
        channel = self.interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            log.warning("interaction %s expired and its channel is out of reach",
                        self.interaction.id)
            return None
        prefix = "" if self._answered else f"{self.interaction.user.mention} "
        return await channel.send(prefix + text or None, files=list(files))

    async def send_voice(self, path: Path) -> Spoken:
        """Post a voice message into the channel, or say why not."""
        if not self.interaction.app_permissions.send_voice_messages or \
                self.interaction.channel_id is None:
            return Spoken(why_not=NO_VOICE_HERE)
        return await send_voice_message(self.interaction.client.http,
                                        self.interaction.channel_id, path)


Target = AfterMessage | InInteraction  # where a turn's progress and reply go


def spoken(reply: Reply) -> list[Artifact]:
    """The reply's speech: the spoken reply and speech it was asked to make."""
    said = [a for a in reply.artifacts if (spec := made_by(a)) is not None and spec.speaks]
    return said + ([reply.voice] if reply.voice else [])


def batches(files: Sequence[tuple[discord.File, int]], budget: int) -> list[list[discord.File]]:
    """Files (with their sizes in bytes) in order, in as few messages as hold them: ten at
    most and `budget` bytes together each; a file alone may fill one."""
    groups: list[list[discord.File]] = [[]]
    used = 0
    for file, size in files:
        if groups[-1] and (len(groups[-1]) == FILES_PER_MESSAGE or used + size > budget):
            groups.append([])
            used = 0
        groups[-1].append(file)
        used += size
    return groups


async def deliver(target: Target, reply: Reply) -> Posted:
    """Text, then files, then voice messages; what can't be sent is said in the text.
    Returns the message the text began in and the message each file went in."""
    voices = [a for a in spoken(reply) if await asyncio.to_thread(is_voice_note, a.path)]
    files, notes = [], []
    by_name: dict[str, Artifact] = {}
    for art in [a for a in reply.artifacts if a not in voices] + voices:
        size = art.path.stat().st_size
        if size > target.upload_limit:
            notes.append(f"({art.handle} is {megabytes(size)}, over the "
                         f"{megabytes(target.upload_limit)} upload limit here.)")
        elif art not in voices:
            name = f"{art.handle}{art.path.suffix}"
            files.append((discord.File(art.path, filename=name), size))
            by_name[name] = art
    written = "" if reply.voice_only else reply.text  # only spoken: the voice says it
    pieces = split_text("\n".join(filter(None, [written, *notes])), TEXT_LIMIT)
    ids = [await target.send(piece, []) for piece in pieces[:-1]]
    # A boosted guild's files may be larger than the usual request; one still fits.
    budget = max(REQUEST_LIMIT, target.upload_limit) - REQUEST_OVERHEAD
    carried: list[tuple[Artifact, str]] = []
    for index, group in enumerate(batches(files, budget)):
        content = pieces[-1] if index == 0 else ""
        if not content and not group:
            continue  # only spoken, and no files: nothing to write
        ids.append(posted := await target.send(content, group))
        carried += [(by_name[f.filename], posted) for f in group if posted is not None]
    carried += await speak(target, [v for v in voices
                                    if v.path.stat().st_size <= target.upload_limit])
    if reply.voice_only:  # the voice's message is the reply's; if it went nowhere, write it
        said: list[str | None] = [m for voice, m in carried if voice is reply.voice]
        ids[:0] = said or [await target.send(p, []) for p in split_text(reply.text, TEXT_LIMIT)]
    return Posted(text=ids[0] if ids else None, files=carried)


async def speak(target: Target, voices: Sequence[Artifact]) -> list[tuple[Artifact, str]]:
    """Each as a voice message, or as an .ogg file where that isn't allowed, saying why once;
    each with the message it went in."""
    said: set[str] = set()
    carried = []
    for voice in voices:
        spoken_as = await target.send_voice(voice.path)
        if (why := spoken_as.why_not) is not None:
            spoken_as = Spoken(message_id=await target.send(
                "" if why in said else why,
                [discord.File(voice.path, filename=f"{voice.handle}.ogg")]))
            said.add(why)
        if spoken_as.message_id is not None:
            carried.append((voice, spoken_as.message_id))
    return carried
