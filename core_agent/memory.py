"""Per-channel memory behind one async interface: turns, artifacts, jobs, events.

Adapters and workers never touch SQL nor see a table row: every method runs its short
transaction in a thread, so the event loop keeps serving other channels, and hands back
the plain types of `core_agent/types.py`.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, delete, update
from sqlalchemy import text as sql
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, SQLModel, col, select

from core_agent.storage import LocalStorage, Storage
from core_agent.tables import ArtifactRecord, MessageRecord, utcnow
from core_agent.tables import Channel as ChannelRecord
from core_agent.tables import Job as JobRecord
from core_agent.tables import JobEvent as EventRecord
from core_agent.types import (
    Artifact,
    Channel,
    Job,
    JobEvent,
    Kind,
    PlanStep,
    StepStatus,
    StoredMessage,
    Turn,
)

T = TypeVar("T")
P = TypeVar("P", bound=BaseModel)
FINAL = (StepStatus.DONE, StepStatus.FAILED, StepStatus.CANCELLED)
FOLDER_NAME_CHARS = 100  # of a channel id's readable part in its media folder's name
FOLDER_HASH_CHARS = 12  # hex digits of the id's SHA-256 after it


class Memory:
    """The database and the media storage, seen as conversations."""

    def __init__(self, engine: Engine, media_dir: Path, storage: Storage | None = None
                 ) -> None:
        self.engine = engine
        self.media_dir = media_dir  # the files themselves, or the local cache of a bucket's
        self.storage = storage or LocalStorage(media_dir)

    async def _run(self, fn: Callable[[Session], T]) -> T:
        def work() -> T:
            with Session(self.engine, expire_on_commit=False) as session:
                result = fn(session)
                session.commit()
                return result

        return await asyncio.to_thread(work)

    async def ping(self) -> bool:
        """Whether the database answers a trivial query (for health checks)."""
        try:
            await self._run(lambda s: s.execute(sql("SELECT 1")))
        except SQLAlchemyError:
            return False
        return True

    # channels

    async def channel(self, channel_id: str, platform: str, voice: bool = False) -> Channel:
        """The channel, created on first contact."""

        def fn(s: Session) -> ChannelRecord:
            row = s.get(ChannelRecord, channel_id)
            if row is None:
                row = ChannelRecord(id=channel_id, platform=platform, voice_replies=voice)
                s.add(row)
            return row

        return _plain(Channel, await self._run(fn))

    async def channel_ids(self, platform: str) -> list[str]:
        """Every channel of a platform, oldest first."""
        return list(await self._run(lambda s: s.exec(
            select(ChannelRecord.id).where(ChannelRecord.platform == platform)
            .order_by(col(ChannelRecord.created_at))).all()))

    async def set_voice_replies(self, channel_id: str, on: bool, only: bool = False) -> None:
        """Whether replies in this channel are also spoken, or only spoken."""
        await self._run(lambda s: s.execute(
            update(ChannelRecord).where(col(ChannelRecord.id) == channel_id)
            .values(voice_replies=on or only, voice_only=only)))

    async def forget(self, channel_id: str) -> None:
        """Drop the channel's turns, jobs and media; the channel itself stays."""

        def fn(s: Session) -> list[str]:
            keys = s.exec(select(ArtifactRecord.path).where(
                ArtifactRecord.channel_id == channel_id)).all()
            jobs = select(JobRecord.id).where(JobRecord.channel_id == channel_id)
            s.execute(delete(EventRecord).where(col(EventRecord.job_id).in_(jobs)))
            s.execute(delete(ArtifactRecord).where(col(ArtifactRecord.channel_id) == channel_id))
            s.execute(delete(JobRecord).where(col(JobRecord.channel_id) == channel_id))
            s.execute(delete(MessageRecord).where(col(MessageRecord.channel_id) == channel_id))
            # Files stored before folder names were unique may share a folder with another
            # channel's: such a folder goes only once no other channel's file is in it.
            folders = {self.channel_dir(channel_id).name, *(k.split("/", 1)[0] for k in keys)}
            return [f for f in folders if s.exec(select(ArtifactRecord.id).where(
                col(ArtifactRecord.path).startswith(f"{f}/", autoescape=True))).first() is None]

        for folder in await self._run(fn):
            await asyncio.to_thread(self.storage.delete_folder, folder)

    # messages

    async def add_message(self, channel_id: str, role: str, text: str, **fields: Any) -> str:
        """Store a turn and return its id."""
        row = MessageRecord(channel_id=channel_id, role=role, text=text, **fields)
        await self._run(lambda s: s.add(row))
        return row.id

    async def update_message(self, message_id: str, **fields: Any) -> None:
        """Record a turn's outcome (status, error code, plan, transcript)."""
        await self._run(lambda s: s.execute(
            update(MessageRecord).where(col(MessageRecord.id) == message_id).values(**fields)))

    async def get_message(self, message_id: str) -> StoredMessage | None:
        """One stored turn."""
        row = await self._run(lambda s: s.get(MessageRecord, message_id))
        return _plain(StoredMessage, row) if row else None

    async def find_message(self, channel_id: str, platform_message_id: str
                           ) -> StoredMessage | None:
        """A stored turn by the platform's own id for it, to drop a repeated delivery."""
        row = await self._run(lambda s: s.exec(select(MessageRecord).where(
            MessageRecord.channel_id == channel_id,
            MessageRecord.platform_message_id == platform_message_id)).first())
        return _plain(StoredMessage, row) if row else None

    async def recent_turns(self, channel_id: str, limit: int) -> list[Turn]:
        """The last turns, oldest first, with their artifacts and executed steps."""

        def fn(s: Session) -> list[Turn]:
            rows = s.exec(select(MessageRecord).where(MessageRecord.channel_id == channel_id)
                          .order_by(col(MessageRecord.created_at).desc()).limit(limit)).all()
            turns = []
            for row in reversed(rows):
                jobs = s.exec(select(JobRecord).where(
                    JobRecord.message_id == row.id, JobRecord.purpose == "plan")
                    .order_by(col(JobRecord.step))).all() if row.role == "user" else []
                turns.append(Turn(
                    role=row.role, text=row.text,
                    artifacts=[a.handle for a in _media_of(s, row)],
                    steps=[PlanStep(task=j.task, args=j.args) for j in jobs],
                    choices=(row.plan or {}).get("choices", []) if row.role == "user" else [],
                ))
            return turns

        return await self._run(fn)

    async def messages(self, channel_id: str, limit: int = 200,
                       ids: Collection[str] | None = None
                       ) -> list[tuple[StoredMessage, list[Artifact]]]:
        """The last messages (or only these ids), oldest first, each with its media, as a
        chat page shows them."""

        def fn(s: Session) -> list[tuple[MessageRecord, list[ArtifactRecord]]]:
            query = select(MessageRecord).where(MessageRecord.channel_id == channel_id)
            if ids is not None:
                query = query.where(col(MessageRecord.id).in_(ids))
            rows = s.exec(query.order_by(col(MessageRecord.created_at).desc()).limit(limit)).all()
            return [(row, _media_of(s, row)) for row in reversed(rows)]

        return [(_plain(StoredMessage, row), [self._artifact(a) for a in media])
                for row, media in await self._run(fn)]

    # artifacts

    def channel_dir(self, channel_id: str) -> Path:
        """The channel's media folder: a name safe on every filesystem, then a hash of the
        exact id, so channels whose safe names agree ("cli:a:b", "cli:a_b") stay apart.

        Artifacts keep the key they were stored under, so files saved before the hash was
        added stay where they are and reachable."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in channel_id)
        digest = hashlib.sha256(channel_id.encode()).hexdigest()[:FOLDER_HASH_CHARS]
        return self.media_dir / f"{safe[:FOLDER_NAME_CHARS]}-{digest}"

    async def add_artifact(self, channel_id: str, source: Path, *, kind: Kind, mime: str,
                           producer: str, **fields: Any) -> Artifact:
        """Copy a file into the channel's media storage and record it under a new handle."""
        # One atomic UPDATE ... RETURNING: SQLite ignores FOR UPDATE, so a read and an
        # increment let two processes saving into one chat take the same handle. The file
        # is stored between the two transactions, so an upload never holds a database lock.
        seq = await self._run(lambda s: s.execute(
            update(ChannelRecord).where(col(ChannelRecord.id) == channel_id)
            .values(artifact_seq=col(ChannelRecord.artifact_seq) + 1)
            .returning(col(ChannelRecord.artifact_seq))).scalar_one())
        handle = f"a{seq}"
        key = f"{self.channel_dir(channel_id).name}/{handle}{source.suffix.lower()}"
        await asyncio.to_thread(self.storage.put, key, source)
        row = ArtifactRecord(channel_id=channel_id, handle=handle, producer=producer,
                             kind=kind.value, mime=mime, path=key, **fields)
        await self._run(lambda s: s.add(row))
        return self._artifact(row)

    async def artifacts(self, channel_id: str, limit: int = 50) -> list[Artifact]:
        """The channel's newest artifacts, oldest first."""
        rows = await self._run(lambda s: s.exec(
            select(ArtifactRecord).where(ArtifactRecord.channel_id == channel_id)
            .order_by(col(ArtifactRecord.created_at).desc()).limit(limit)).all())
        return [self._artifact(r) for r in reversed(rows)]

    async def artifact(self, channel_id: str, handle: str, *, fetch: bool = True
                       ) -> Artifact | None:
        """One artifact of this channel by handle; other channels' are out of reach.

        Its file is on local disk at `path` (fetched from the bucket first if need be),
        unless `fetch` is off: listings and checks leave files where they are.
        """
        row = await self._run(lambda s: s.exec(select(ArtifactRecord).where(
            ArtifactRecord.channel_id == channel_id, ArtifactRecord.handle == handle)).first())
        if row is None:
            return None
        if fetch:
            await asyncio.to_thread(self.storage.fetch, row.path)
        return self._artifact(row)

    async def mark_posted(self, artifact_id: str, platform_message_id: str) -> None:
        """Record the platform message the bot posted an artifact in."""
        await self._run(lambda s: s.execute(update(ArtifactRecord).where(
            col(ArtifactRecord.id) == artifact_id).values(platform_message_id=platform_message_id)))

    async def carried_by(self, channel_id: str, platform_message_id: str) -> list[Artifact]:
        """The files a platform message carried: the bot's post of a file, or a stored
        message's uploads (a user's) or outputs (a reply's)."""

        def fn(s: Session) -> list[ArtifactRecord]:
            posted = s.exec(select(ArtifactRecord).where(
                ArtifactRecord.channel_id == channel_id,
                ArtifactRecord.platform_message_id == platform_message_id)).all()
            if posted:
                return list(posted)
            row = s.exec(select(MessageRecord).where(
                MessageRecord.channel_id == channel_id,
                MessageRecord.platform_message_id == platform_message_id)).first()
            return _media_of(s, row) if row else []

        return [self._artifact(a) for a in await self._run(fn)]

    def _artifact(self, row: ArtifactRecord) -> Artifact:
        return Artifact(
            id=row.id, handle=row.handle, kind=Kind(row.kind), mime=row.mime,
            path=self.media_dir / row.path, producer=row.producer, label=row.label,
            duration=row.duration, sample_rate=row.sample_rate, channels=row.channels,
            created_at=_aware(row.created_at))

    # jobs

    async def add_job(self, channel_id: str, message_id: str, step: int, task: str,
                      args: dict[str, Any], purpose: str = "plan") -> str:
        """Record a step as a queued job and return its id."""
        row = JobRecord(channel_id=channel_id, message_id=message_id, step=step, task=task,
                        args=args, purpose=purpose)
        await self._run(lambda s: s.add(row))
        return row.id

    async def get_job(self, job_id: str) -> Job | None:
        """A job's record."""
        row = await self._run(lambda s: s.get(JobRecord, job_id))
        return _plain(Job, row) if row else None

    async def jobs_for(self, message_id: str) -> list[Job]:
        """The jobs of one turn, in plan order."""
        rows = await self._run(lambda s: s.exec(select(JobRecord).where(
            JobRecord.message_id == message_id).order_by(col(JobRecord.step))).all())
        return [_plain(Job, row) for row in rows]

    async def user_jobs(self, user_id: str, limit: int = 10) -> list[Job]:
        """A user's newest planned jobs across channels, newest first."""
        rows = await self._run(lambda s: s.exec(select(JobRecord).join(
            MessageRecord, col(MessageRecord.id) == col(JobRecord.message_id))
            .where(MessageRecord.user_id == user_id, JobRecord.purpose == "plan")
            .order_by(col(JobRecord.created_at).desc()).limit(limit)).all())
        return [_plain(Job, row) for row in rows]

    async def claim_job(self, job_id: str, backend: str | None) -> Job | None:
        """Mark a job running; None if it is already final (a retry after success)."""

        def fn(s: Session) -> JobRecord | None:
            job = s.exec(select(JobRecord).where(JobRecord.id == job_id).with_for_update()).first()
            if job is None or job.status in FINAL:
                return None
            job.status, job.backend = StepStatus.RUNNING.value, backend
            job.attempts += 1
            job.started_at = utcnow()
            return job

        row = await self._run(fn)
        return _plain(Job, row) if row else None

    async def finish_job(self, job_id: str, status: StepStatus, **fields: Any) -> bool:
        """Record a job's end: outputs, or error code and message; False if it was already
        cancelled, which it stays. A cancelled job keeps no files: any it stored are dropped."""

        def fn(s: Session) -> bool:
            done = s.execute(update(JobRecord).where(
                col(JobRecord.id) == job_id, col(JobRecord.status) != StepStatus.CANCELLED.value
            ).values(status=status.value, finished_at=utcnow(), **fields))
            recorded = bool(done.rowcount)  # type: ignore[attr-defined]
            if status == StepStatus.CANCELLED or not recorded:
                s.execute(delete(ArtifactRecord).where(col(ArtifactRecord.job_id) == job_id))
            return recorded

        return await self._run(fn)

    async def usage(self, since: datetime, *, user_id: str | None = None,
                    channel_id: str | None = None) -> tuple[int, float]:
        """Jobs created since a moment, and the seconds they ran, for a user or a channel."""

        def fn(s: Session) -> tuple[int, float]:
            query = select(JobRecord.started_at, JobRecord.finished_at).where(
                col(JobRecord.created_at) >= since)
            if user_id is not None:
                query = query.join(MessageRecord, col(MessageRecord.id) == col(JobRecord.message_id)
                                   ).where(MessageRecord.user_id == user_id)
            if channel_id is not None:
                query = query.where(JobRecord.channel_id == channel_id)
            rows = s.exec(query).all()
            seconds = sum((_aware(end) - _aware(start)).total_seconds()
                          for start, end in rows if start and end)
            return len(rows), seconds

        return await self._run(fn)

    async def cancel_jobs(self, channel_id: str, reason: str) -> int:
        """Mark the channel's unfinished jobs cancelled (someone stopped them); how many."""
        done = await self._run(lambda s: s.execute(
            update(JobRecord).where(col(JobRecord.channel_id) == channel_id,
                              col(JobRecord.status).in_([StepStatus.QUEUED, StepStatus.RUNNING]))
            .values(status=StepStatus.CANCELLED.value, error=reason, finished_at=utcnow())))
        return int(done.rowcount)  # type: ignore[attr-defined]

    async def resolve_interrupted(self, reply: str) -> int:
        """Close the turns a crash left open: each gets `reply` as its answer and is marked
        failed, with its unfinished jobs. Returns how many turns were closed."""

        def fn(s: Session) -> int:
            open_turns = s.exec(select(MessageRecord).where(
                MessageRecord.role == "user", MessageRecord.status == "received")).all()
            for turn in open_turns:
                turn.status, turn.error_code = "failed", "interrupted"
                s.add(MessageRecord(channel_id=turn.channel_id, role="assistant", text=reply,
                                    reply_to=turn.id, status="answered"))
            s.execute(update(JobRecord).where(col(JobRecord.status).in_(
                [StepStatus.QUEUED, StepStatus.RUNNING])).values(
                status=StepStatus.FAILED.value, error_code="interrupted",
                error="interrupted by a restart", finished_at=utcnow()))
            return len(open_turns)

        return await self._run(fn)

    async def add_event(self, job_id: str, stage: str, message: str) -> None:
        """Append a progress event to a job."""
        await self._run(lambda s: s.add(EventRecord(job_id=job_id, stage=stage, message=message)))

    async def events(self, job_id: str) -> list[JobEvent]:
        """A job's events, in order."""
        rows = await self._run(lambda s: s.exec(select(EventRecord).where(
            EventRecord.job_id == job_id).order_by(col(EventRecord.id))).all())
        return [_plain(JobEvent, row) for row in rows]


def _media_of(s: Session, row: MessageRecord) -> list[ArtifactRecord]:
    """A user message's uploads, or the files its turn's jobs made for a reply."""
    source = row.id if row.role == "user" else row.reply_to
    if source is None:
        return []
    arts = s.exec(select(ArtifactRecord).where(ArtifactRecord.message_id == source)
                  .order_by(col(ArtifactRecord.created_at))).all()
    if row.role == "user":
        return [a for a in arts if a.producer == "upload"]
    return [a for a in arts if a.producer != "upload"]  # its results and its voice copy


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _plain(kind: type[P], row: SQLModel) -> P:
    """A table row as the plain type memory hands out, its timestamps in UTC."""
    fields = row.model_dump()
    return kind.model_validate({name: _aware(value) if isinstance(value, datetime) else value
                                for name, value in fields.items()})
