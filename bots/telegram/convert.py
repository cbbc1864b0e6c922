"""Telegram messages read for the agent: where they were said, whether the bot was asked,
the request text and the files they carry, downloaded."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot, MessageEntity
from telegram import Message as TgMessage

from core_agent.types import Attachment, Message

PLATFORM = "telegram"
ROUND = re.compile(r"\b(round|circle|circular|video[ -]?note)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Where:
    """A Telegram message's place: its chat, forum topic, and id. A channel per chat, and
    per topic in forums (a topic is its own conversation)."""

    chat_id: int
    thread_id: int | None
    message_id: int

    @classmethod
    def of(cls, msg: TgMessage) -> Where:
        """Where a received message was said."""
        return cls(msg.chat_id, msg.message_thread_id if msg.is_topic_message else None,
                   msg.message_id)

    @classmethod
    def parse(cls, message: Message) -> Where:
        """Where a Message built by `to_message` came from."""
        _, chat, *thread = message.channel_id.split(":")
        return cls(int(chat), int(thread[0]) if thread else None,
                   int(message.platform_message_id or 0))

    @property
    def group(self) -> bool:
        """Groups and supergroups have negative chat ids; private chats positive ones."""
        return self.chat_id < 0

    @property
    def channel_id(self) -> str:
        """The conversation's id in memory."""
        topic = f":{self.thread_id}" if self.thread_id is not None else ""
        return f"{PLATFORM}:{self.chat_id}{topic}"


@dataclass(frozen=True)
class Media:
    """A file a message carries, not yet downloaded."""

    file_id: str
    filename: str
    mime: str | None
    size: int | None  # bytes, as Telegram reports it


def media_of(msg: TgMessage) -> list[Media]:
    """The message's files: voice and video notes, audio, video, a photo at its largest
    size, a document."""
    found: list[Media] = []
    if msg.voice:
        found.append(Media(msg.voice.file_id, "voice-note.ogg",
                           msg.voice.mime_type or "audio/ogg", msg.voice.file_size))
    if msg.audio:
        name = msg.audio.file_name or f"audio{_suffix(msg.audio.mime_type, '.mp3')}"
        found.append(Media(msg.audio.file_id, name, msg.audio.mime_type, msg.audio.file_size))
    if msg.video_note:
        found.append(Media(msg.video_note.file_id, "video-note.mp4", "video/mp4",
                           msg.video_note.file_size))
    if msg.video:
        found.append(Media(msg.video.file_id, msg.video.file_name or "video.mp4",
                           msg.video.mime_type, msg.video.file_size))
    if msg.photo:
        largest = max(msg.photo, key=lambda p: p.width * p.height)
        found.append(Media(largest.file_id, "photo.jpg", "image/jpeg", largest.file_size))
    if msg.document:
        doc = msg.document
        found.append(Media(doc.file_id, doc.file_name or "document", doc.mime_type,
                           doc.file_size))
    return found


async def download(bot: Bot, media: list[Media], folder: Path) -> list[Attachment]:
    """The files, saved in the folder."""
    files = []
    for index, item in enumerate(media):
        target = folder / f"{index}-{Path(item.filename).name}"
        telegram_file = await bot.get_file(item.file_id)
        await telegram_file.download_to_drive(target)
        files.append(Attachment(path=target, filename=item.filename))
    return files


def is_media_file(media: Media) -> bool:
    """Whether a file claims to be sound, video or a picture (worth keeping unasked)."""
    return (media.mime or "").split("/")[0] in ("audio", "video", "image")


def addressed(msg: TgMessage, bot: Bot) -> bool:
    """Whether a group message is for the bot: it mentions or replies to the bot."""
    replied = replied_to(msg)
    if replied is not None and replied.from_user is not None and replied.from_user.id == bot.id:
        return True
    entities = {**msg.parse_entities(), **msg.parse_caption_entities()}
    return any((e.type == MessageEntity.MENTION and text.lower() == f"@{bot.username}".lower())
               or (e.type == MessageEntity.TEXT_MENTION and e.user and e.user.id == bot.id)
               for e, text in entities.items())


def replied_to(msg: TgMessage) -> TgMessage | None:
    """The message this one replies to; in a forum topic every message "replies" to the
    topic's opening service message, which is no reply."""
    replied = msg.reply_to_message
    return None if replied is None or replied.forum_topic_created else replied


def request_text(msg: TgMessage, bot: Bot) -> str:
    """The text or caption, without the bot's @mention."""
    text = msg.text or msg.caption or ""
    return re.sub(rf"@{re.escape(bot.username)}\b", "", text, flags=re.IGNORECASE).strip()


def to_message(msg: TgMessage, text: str, attachments: list[Attachment],
               replying_to: list[str] | None = None) -> Message:
    """The agent's Message: who (platform-qualified), where, the request and its files,
    and the handles and words of the post it replies to."""
    user, replied = msg.from_user, replied_to(msg)
    return Message(
        channel_id=Where.of(msg).channel_id, text=text, attachments=attachments,
        author=user.full_name if user else "someone", platform=PLATFORM,
        platform_message_id=str(msg.message_id),
        user_id=f"{PLATFORM}:user:{user.id}" if user else None,
        scopes=[f"{PLATFORM}:chat:{msg.chat_id}"], replying_to=replying_to or [],
        replied_text=(replied.text or replied.caption or None) if replied else None)


def wants_round(text: str) -> bool:
    """Whether the request asks for a round video note rather than a plain video."""
    return bool(ROUND.search(text))


def _suffix(mime: str | None, default: str) -> str:
    return {"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
            "audio/ogg": ".ogg", "audio/wav": ".wav", "audio/flac": ".flac"}.get(
        mime or "", default)
