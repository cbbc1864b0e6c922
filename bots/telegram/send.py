"""Posting into a Telegram chat: text in pieces under the cap, each file by its own method
(spoken answers as voice notes, music and effects as audio, videos, round video notes,
pictures), files over the upload limit compressed or refused in words."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from telegram import Bot, MessageEntity, ReplyParameters
from telegram import Message as TgMessage
from telegram.constants import ChatAction, MessageLimit
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

from bots.common import split_text
from bots.telegram.convert import Where
from core_agent.errors import MediaError
from core_agent.types import Artifact, Kind
from media.encode import encode_mp3, encode_video_note, encode_voice_note
from tasks import made_by

log = logging.getLogger(__name__)
SEND_TRIES = 3  # a dropped connection is tried again; 429s are the rate limiter's
RETRY_PAUSE = 1.0  # seconds, doubled per try
# sendAudio's player takes MP3 and M4A (Bot API); other audio is sent as MP3.
AUDIO_PLAYER_SUFFIXES = (".mp3", ".m4a")
SMALLER_BITRATE = "96k"  # MP3 for audio over the upload limit: some 70 minutes in 50 MB
# Timeouts before a request left: connecting, or waiting for a free pooled connection.
NOT_SENT = (httpx.ConnectTimeout, httpx.PoolTimeout)
VIDEO_NOTE_SIDE = 384  # pixels, what Telegram's apps record
VIDEO_NOTE_SECONDS = 60  # the longest round video note
PHOTO_LIMIT = 10 * 2**20  # bytes: sendPhoto's cap (Bot API); bigger pictures go as documents
# Ways of posting a file, each named for its method's file field; the fallbacks, in words.
AS = {"audio": "an audio file", "video": "a plain video", "document": "a file"}
# Telegram's refusals another way of posting may pass: a user's privacy setting against voice
# and round video messages, a group's permissions (TDLib's "not enough rights to send voice
# notes to the chat"), a picture Telegram won't take as a photo.
VOICE_FORBIDDEN = "voice_messages_forbidden"
NO_RIGHTS = re.compile(r"not enough rights to send (.+?) to the chat", re.IGNORECASE)
NOT_A_PHOTO = re.compile(r"too big for a photo|photo_invalid_dimensions", re.IGNORECASE)
Send = Callable[[], Awaitable[TgMessage]]


def action_for(artifact: Artifact, spoken: bool, round_video: bool) -> str:
    """The chat action shown while a file uploads."""
    if artifact.kind == Kind.VIDEO:
        return ChatAction.UPLOAD_VIDEO_NOTE if round_video else ChatAction.UPLOAD_VIDEO
    if artifact.kind == Kind.IMAGE:
        return ChatAction.UPLOAD_PHOTO
    if artifact.kind == Kind.AUDIO:
        return ChatAction.UPLOAD_VOICE if spoken else ChatAction.UPLOAD_DOCUMENT
    return ChatAction.UPLOAD_DOCUMENT


def ways_for(artifact: Artifact, spoken: bool, round_video: bool, path: Path) -> list[str]:
    """The ways to post a file, best first; a document is the last resort of each."""
    if artifact.kind == Kind.AUDIO:
        return ["voice", "audio", "document"] if spoken else ["audio", "document"]
    if artifact.kind == Kind.VIDEO:
        return ["video_note", "video", "document"] if round_video else ["video", "document"]
    if artifact.kind == Kind.IMAGE and path.stat().st_size <= PHOTO_LIMIT:
        return ["photo", "document"]
    return ["document"]


def refusal(err: BadRequest, way: str) -> str | None:
    """Why the chat won't take a file this way, to tell the user ("" to say nothing), when
    another way may pass; None for any other error."""
    said = err.message.lower()
    if VOICE_FORBIDDEN in said:
        private = "round video messages" if way == "video_note" else "voice messages"
        return f"Your privacy settings don't let me send {private}"
    if rights := NO_RIGHTS.search(said):
        return f"This chat doesn't let me send {rights[1]}"
    return "" if way == "photo" and NOT_A_PHOTO.search(said) else None


def with_code(text: str) -> tuple[str, list[MessageEntity]]:
    """The text without its backticks and the `commands` between them as code entities, as
    Telegram shows them (no parse mode, so nothing else in the text needs escaping);
    an unmatched backtick leaves the text as it is. Offsets count UTF-16 code units."""
    parts = text.split("`")
    if len(parts) % 2 == 0:
        return text, []
    entities, at = [], 0
    for i, part in enumerate(parts):
        length = len(part.encode("utf-16-le")) // 2
        if i % 2 and length:
            entities.append(MessageEntity(MessageEntity.CODE, at, length))
        at += length
    return "".join(parts), entities


def is_spoken(artifact: Artifact) -> bool:
    """Speech the bot made: it goes out as a voice note."""
    spec = made_by(artifact)
    return artifact.kind == Kind.AUDIO and spec is not None and spec.speaks


async def posted(send: Send) -> TgMessage | None:
    """Send, trying again when the request never reached Telegram (a dropped or refused
    connection, no free connection). A timeout once it was on its way is not tried again,
    since Telegram may have it (a 50 MB upload that landed but was answered late would be
    posted twice): None, logged."""
    for attempt in range(1, SEND_TRIES + 1):
        try:
            return await send()
        except BadRequest:
            raise
        except NetworkError as err:
            if isinstance(err, TimedOut) and not isinstance(err.__cause__, NOT_SENT):
                log.warning("telegram: no answer in time to a send; not sent again, since it "
                            "may have arrived")
                return None
            if attempt == SEND_TRIES:
                raise
            log.warning("telegram send failed (%s), trying again", type(err).__name__)
            await asyncio.sleep(RETRY_PAUSE * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


class Poster:
    """Posts into one chat (and topic), as replies to the user's message in groups."""

    def __init__(self, bot: Bot, where: Where, upload_limit: int) -> None:
        self.bot, self.where, self.upload_limit = bot, where, upload_limit
        self._refused: dict[str, str] = {}  # way of posting -> why this chat refuses it
        self._explained: set[str] = set()
        self.common: dict[str, Any] = {"chat_id": where.chat_id,
                                       "message_thread_id": where.thread_id}
        if where.group:
            self.common["reply_parameters"] = ReplyParameters(
                message_id=where.message_id, allow_sending_without_reply=True)

    async def text(self, text: str) -> list[int]:
        """Post text in pieces under Telegram's cap; the posts' ids."""
        ids = []
        for piece in split_text(text, MessageLimit.MAX_TEXT_LENGTH - 1):
            if piece:
                plain, code = with_code(piece)
                sent = await posted(self._send(self.bot.send_message, text=plain,
                                               entities=code or None))
                ids += [sent.message_id] if sent is not None else []
        return ids

    async def try_text(self, text: str) -> None:
        """Post text where failing to is no further error (the user is told one happened)."""
        try:
            await self.text(text)
        except TelegramError as err:
            log.warning("telegram: could not tell the user (%s)", type(err).__name__)

    async def action(self, action: str) -> None:
        """Show a chat action (it lasts about five seconds)."""
        await self.bot.send_chat_action(action=action, **self._place())

    async def file(self, artifact: Artifact, spoken: bool, round_video: bool) -> int | None:
        """Post one file the way its kind is best played, or the next way when the chat
        refuses that one (a voice note as audio, then as a document), saying why once; the
        post's id, or None when it was too big, every way was refused (the user is told
        so), or Telegram's answer came too late to know."""
        with tempfile.TemporaryDirectory(prefix="audiogpt-telegram-out-") as work:
            path = await self._fitting(artifact, spoken, Path(work))
            if path is None:
                size = artifact.path.stat().st_size / 2**20
                await self.text(f"{artifact.handle} is {size:.0f} MB, more than the "
                                f"{self.upload_limit / 2**20:.0f} MB Telegram lets bots send.")
                return None
            ways = ways_for(artifact, spoken, round_video, path)
            for way in ways:
                if way in self._refused:
                    continue
                send = await self._prepare(way, artifact, path, Path(work))
                if send is None:
                    continue
                try:
                    sent = await posted(send)
                except BadRequest as err:
                    if (why := refusal(err, way)) is None:
                        raise
                    if why:  # the chat's rule, not this file's: it holds for later files
                        self._refused[way] = why
                    continue
                await self._explain(ways[0], way)
                return sent.message_id if sent is not None else None
            why = next((self._refused[w] for w in reversed(ways) if self._refused.get(w)),
                       "Telegram refused it")
            await self.text(f"I couldn't post {artifact.handle}: {why[0].lower()}{why[1:]}.")
            return None

    async def _explain(self, wanted: str, used: str) -> None:
        """Say once why a file came another way than the one wanted, if the chat refused it."""
        why = self._refused.get(wanted)
        if why and wanted != used and wanted not in self._explained:
            self._explained.add(wanted)
            await self.text(f"{why}, so here it is as {AS[used]}.")

    async def _prepare(self, way: str, artifact: Artifact, path: Path, work: Path
                       ) -> Send | None:
        """The send for one way of posting, encoding the file for it first if need be."""
        handle = artifact.handle
        seconds = round(artifact.duration) if artifact.duration else None
        if way == "voice":
            voice = path if path.suffix == ".ogg" else await asyncio.to_thread(
                encode_voice_note, path, work / "v.ogg")
            return self._send(self.bot.send_voice, voice=voice, duration=seconds,
                              filename=f"{handle}.ogg")
        if way == "audio":
            audio = path if path.suffix in AUDIO_PLAYER_SUFFIXES else await asyncio.to_thread(
                encode_mp3, path, work / "a.mp3")
            return self._send(self.bot.send_audio, audio=audio, duration=seconds,
                              title=artifact.label or _title(artifact), performer="AudioGPT",
                              filename=f"{handle}{audio.suffix}")
        if way == "video_note":
            if (square := await self._round(artifact, path, work)) is None:
                return None
            return self._send(self.bot.send_video_note, video_note=square,
                              duration=seconds and min(seconds, VIDEO_NOTE_SECONDS),
                              length=VIDEO_NOTE_SIDE, filename=f"{handle}.mp4")
        name = f"{handle}{path.suffix}"
        if way == "video":
            return self._send(self.bot.send_video, video=path, duration=seconds,
                              supports_streaming=True, filename=name)
        if way == "photo":
            return self._send(self.bot.send_photo, photo=path, filename=name)
        return self._send(self.bot.send_document, document=path, filename=name)

    async def _round(self, artifact: Artifact, source: Path, work: Path) -> Path | None:
        """A square, at most one-minute H.264 clip, as Telegram's round video notes must be;
        None, and the user told, when the video can't be made into one."""
        try:
            return await asyncio.to_thread(encode_video_note, source, work / "round.mp4",
                                           VIDEO_NOTE_SIDE, VIDEO_NOTE_SECONDS)
        except MediaError as err:
            await self.text(f"I couldn't make a round video note of {artifact.handle} ({err}), "
                            "so here it is as a plain video.")
            return None

    def _send(self, method: Callable[..., Awaitable[TgMessage]], **fields: Any) -> Send:
        return lambda: method(**fields, **self.common)

    def _place(self) -> dict[str, Any]:
        return {k: v for k, v in self.common.items() if k != "reply_parameters"}

    async def _fitting(self, artifact: Artifact, spoken: bool, work: Path) -> Path | None:
        """The file, or audio compressed to fit the upload limit (a voice note, or MP3 at
        a lower rate); None when nothing fits."""
        if artifact.path.stat().st_size <= self.upload_limit:
            return artifact.path
        if artifact.kind != Kind.AUDIO:
            return None
        if spoken:
            smaller = await asyncio.to_thread(encode_voice_note, artifact.path,
                                              work / "smaller.ogg")
        else:
            smaller = await asyncio.to_thread(encode_mp3, artifact.path, work / "smaller.mp3",
                                              SMALLER_BITRATE)
        return smaller if smaller.stat().st_size <= self.upload_limit else None


def _title(artifact: Artifact) -> str:
    spec = made_by(artifact)
    return spec.title if spec is not None else artifact.handle
