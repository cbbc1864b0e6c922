"""Database tables (SQLModel). Alembic migrations in `migrations/` create them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh UUID as text (portable across SQLite and PostgreSQL)."""
    return uuid.uuid4().hex


def _at(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), **kwargs))


class Channel(SQLModel, table=True):
    """A conversation: a chat, a thread, a terminal session."""

    id: str = Field(primary_key=True, max_length=200)  # platform-qualified
    platform: str = Field(max_length=40)
    voice_replies: bool = False
    voice_only: bool = False  # spoken instead of written, where the platform has voice notes
    artifact_seq: int = 0  # last artifact number handed out, for handles a1, a2, ...
    created_at: datetime = _at(nullable=False)


class MessageRecord(SQLModel, table=True):
    """One turn, user's or assistant's."""

    __tablename__ = "message"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    channel_id: str = Field(foreign_key="channel.id", index=True, max_length=200)
    role: str = Field(max_length=16)  # user | assistant
    author: str = Field(default="", max_length=200)
    user_id: str | None = Field(default=None, max_length=200, index=True)
    text: str = ""
    reply_to: str | None = Field(default=None, max_length=32)
    platform_message_id: str | None = Field(default=None, max_length=200)
    status: str = Field(default="received", max_length=16)  # received | answered | failed
    error_code: str | None = Field(default=None, max_length=64)
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = _at(nullable=False, index=True)


class ArtifactRecord(SQLModel, table=True):
    """A stored media file and where it came from."""

    __tablename__ = "artifact"
    __table_args__ = (UniqueConstraint("channel_id", "handle"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    channel_id: str = Field(foreign_key="channel.id", index=True, max_length=200)
    handle: str = Field(max_length=16)
    message_id: str | None = Field(default=None, foreign_key="message.id", max_length=32)
    job_id: str | None = Field(default=None, foreign_key="job.id", max_length=32)
    producer: str = Field(max_length=64)  # upload | job:<task>
    kind: str = Field(max_length=16)
    mime: str = Field(max_length=100)
    path: str  # relative to the media folder
    label: str = ""
    duration: float | None = None  # seconds
    sample_rate: int | None = None  # Hz
    channels: int | None = None
    # the platform message that posted it into the chat, when the bot did (replies find it)
    platform_message_id: str | None = Field(default=None, max_length=200)
    created_at: datetime = _at(nullable=False)


class Job(SQLModel, table=True):
    """One plan step; this record, not the queue, is the truth about it."""

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    channel_id: str = Field(foreign_key="channel.id", index=True, max_length=200)
    message_id: str = Field(foreign_key="message.id", index=True, max_length=32)
    step: int  # 1-based position in the plan; 0 outside it
    purpose: str = Field(default="plan", max_length=16)  # plan | input (ASR) | voice (reply)
    task: str = Field(max_length=64)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    backend: str | None = Field(default=None, max_length=64)
    status: str = Field(default="queued", max_length=16, index=True)
    attempts: int = 0
    outputs: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    error_code: str | None = Field(default=None, max_length=64)
    error: str | None = None
    created_at: datetime = _at(nullable=False)
    started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class JobEvent(SQLModel, table=True):
    """Progress of a job, as adapters show it."""

    __tablename__ = "job_event"

    id: int | None = Field(default=None, primary_key=True)
    job_id: str = Field(foreign_key="job.id", index=True, max_length=32)
    stage: str = Field(max_length=40)
    message: str = ""
    created_at: datetime = _at(nullable=False)
