"""Memory on SQLite and PostgreSQL: channels, handles, turns, isolation, forgetting."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, update
from sqlmodel import Session, col

from core_agent.db import make_engine, upgrade
from core_agent.memory import Memory
from core_agent.tables import ArtifactRecord, Channel
from core_agent.types import Kind, StepStatus


@pytest.fixture
def memory(database_url: str, tmp_path: Path) -> Iterator[Memory]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield Memory(engine, tmp_path / "media")
    engine.dispose()


def test_migrations_create_every_table(memory: Memory) -> None:
    tables = set(inspect(memory.engine).get_table_names())
    assert {"channel", "message", "artifact", "job", "job_event", "alembic_version"} <= tables


async def test_handles_are_per_channel_and_files_are_copied(memory: Memory, tmp_path: Path
                                                            ) -> None:
    source = tmp_path / "clip.ogg"
    source.write_bytes(b"x" * 10)
    for channel in ("tg:1", "tg:2"):
        await memory.channel(channel, "telegram")
    a1 = await memory.add_artifact("tg:1", source, kind=Kind.AUDIO, mime="audio/ogg",
                                   producer="upload", duration=1.5)
    a2 = await memory.add_artifact("tg:1", source, kind=Kind.AUDIO, mime="audio/ogg",
                                   producer="upload")
    b1 = await memory.add_artifact("tg:2", source, kind=Kind.AUDIO, mime="audio/ogg",
                                   producer="upload")
    assert (a1.handle, a2.handle, b1.handle) == ("a1", "a2", "a1")
    assert a1.path.read_bytes() == source.read_bytes() and a1.path != b1.path
    assert (await memory.artifact("tg:1", "a2")) == a2
    assert await memory.artifact("tg:2", "a2") is None  # another channel's is out of reach
    assert [a.handle for a in await memory.artifacts("tg:1")] == ["a1", "a2"]
    assert (await memory.artifact("tg:1", "a1")).duration == 1.5  # type: ignore[union-attr]


async def test_turns_carry_uploads_outputs_and_steps(memory: Memory, tmp_path: Path) -> None:
    clip = tmp_path / "c.ogg"
    clip.write_bytes(b"ogg")
    await memory.channel("c", "cli")
    user = await memory.add_message("c", "user", "clean this up")
    await memory.add_artifact("c", clip, kind=Kind.AUDIO, mime="audio/ogg", producer="upload",
                              message_id=user)
    job = await memory.add_job("c", user, 1, "speech_enhancement", {"audio": "a1"})
    await memory.add_job("c", user, 0, "speech_recognition", {"audio": "a1"}, purpose="input")
    await memory.add_artifact("c", clip, kind=Kind.AUDIO, mime="audio/ogg",
                              producer="job:speech_enhancement", message_id=user, job_id=job)
    await memory.add_message("c", "assistant", "Here it is: a2", reply_to=user)
    turns = await memory.recent_turns("c", 10)
    assert [(t.role, t.artifacts) for t in turns] == [("user", ["a1"]), ("assistant", ["a2"])]
    assert [s.task for s in turns[0].steps] == ["speech_enhancement"]  # not the input ASR


async def test_messages_come_with_their_media_for_a_chat_page(memory: Memory, tmp_path: Path
                                                              ) -> None:
    clip = tmp_path / "c.ogg"
    clip.write_bytes(b"ogg")
    await memory.channel("web:a", "web")
    await memory.channel("cli:b", "cli")
    user = await memory.add_message("web:a", "user", "clean this up", author="ana")
    await memory.add_artifact("web:a", clip, kind=Kind.AUDIO, mime="audio/ogg",
                              producer="upload", message_id=user)
    await memory.add_artifact("web:a", clip, kind=Kind.AUDIO, mime="audio/ogg",
                              producer="job:speech_enhancement", message_id=user)
    answer = await memory.add_message("web:a", "assistant", "Here it is: a2", reply_to=user)
    shown = await memory.messages("web:a")
    assert [(m.author, m.role, [a.handle for a in media]) for m, media in shown] == [
        ("ana", "user", ["a1"]), ("", "assistant", ["a2"])]
    assert [m.id for m, _ in await memory.messages("web:a", ids=[answer])] == [answer]
    assert await memory.channel_ids("web") == ["web:a"]


async def test_claim_is_refused_once_a_job_is_final(memory: Memory) -> None:
    await memory.channel("c", "cli")
    user = await memory.add_message("c", "user", "x")
    job = await memory.add_job("c", user, 1, "text_to_speech", {"text": "hi"})
    claimed = await memory.claim_job(job, "piper-joe")
    assert claimed is not None and claimed.attempts == 1
    again = await memory.claim_job(job, "piper-joe")  # a worker crash: the retry may claim
    assert again is not None and again.attempts == 2
    await memory.finish_job(job, StepStatus.DONE, outputs={"text": None, "artifacts": []})
    assert await memory.claim_job(job, "piper-joe") is None


async def test_forget_drops_one_channel_only(memory: Memory, tmp_path: Path) -> None:
    clip = tmp_path / "c.ogg"
    clip.write_bytes(b"ogg")
    for channel in ("keep", "drop"):
        await memory.channel(channel, "cli")
        msg = await memory.add_message(channel, "user", "hello")
        job = await memory.add_job(channel, msg, 1, "text_to_speech", {"text": "hi"})
        await memory.add_event(job, "running", "piper")
        await memory.add_artifact(channel, clip, kind=Kind.AUDIO, mime="audio/ogg",
                                  producer="upload", message_id=msg)
    await memory.forget("drop")
    assert await memory.recent_turns("drop", 10) == []
    assert await memory.artifacts("drop") == []
    assert not memory.channel_dir("drop").exists()
    assert len(await memory.recent_turns("keep", 10)) == 1
    assert (await memory.artifact("keep", "a1")) is not None


async def test_processes_saving_into_one_chat_get_distinct_handles(
        database_url: str, tmp_path: Path) -> None:
    """Workers are separate processes with their own connections; each artifact they save
    into one chat still gets a handle of its own."""
    engines = [make_engine(database_url) for _ in range(3)]
    upgrade(engines[0])
    memories = [Memory(engine, tmp_path / "media") for engine in engines]
    await memories[0].channel("web:busy", "web")
    source = tmp_path / "clip.ogg"
    source.write_bytes(b"OggS" + bytes(100))
    try:
        saved = await asyncio.gather(*(
            m.add_artifact("web:busy", source, kind=Kind.AUDIO, mime="audio/ogg",
                           producer="job:text_to_speech")
            for m in memories for _ in range(10)))
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(int(a.handle[1:]) for a in saved) == list(range(1, 31))


async def test_channels_with_one_safe_name_keep_their_own_files(memory: Memory, tmp_path: Path
                                                                ) -> None:
    """ "cli:a:b" and "cli:a_b" once shared a folder: one's a1 overwrote the other's, and
    forgetting one deleted both."""
    files = {}
    for channel, content in (("cli:a:b", b"colon"), ("cli:a_b", b"underscore")):
        (source := tmp_path / f"{content.decode()}.ogg").write_bytes(content)
        await memory.channel(channel, "cli")
        files[channel] = await memory.add_artifact(channel, source, kind=Kind.AUDIO,
                                                   mime="audio/ogg", producer="upload")
    colon, underscore = files["cli:a:b"], files["cli:a_b"]
    assert colon.handle == underscore.handle == "a1" and colon.path != underscore.path
    assert (colon.path.read_bytes(), underscore.path.read_bytes()) == (b"colon", b"underscore")
    await memory.forget("cli:a:b")
    assert not colon.path.exists() and await memory.artifact("cli:a:b", "a1") is None
    kept = await memory.artifact("cli:a_b", "a1")
    assert kept is not None and kept.path.read_bytes() == b"underscore"
    assert memory.channel_dir("..").parent == memory.media_dir  # no way out of the media folder


def _legacy(memory: Memory, channel: str, folder: str, content: bytes) -> None:
    """An artifact as the code before unique folder names stored it: under the bare safe
    name, which two channels could share."""
    key = f"{folder}/a1.ogg"
    (memory.media_dir / folder).mkdir(parents=True, exist_ok=True)
    (memory.media_dir / key).write_bytes(content)
    with Session(memory.engine) as session:
        session.add(ArtifactRecord(channel_id=channel, handle="a1", producer="upload",
                                   kind="audio", mime="audio/ogg", path=key))
        session.execute(update(Channel).where(col(Channel.id) == channel).values(artifact_seq=1))
        session.commit()


async def test_files_stored_under_the_old_folder_names_stay_reachable_and_are_forgotten(
        memory: Memory, tmp_path: Path) -> None:
    for channel in ("cli:solo", "cli:a:b", "cli:a_b"):
        await memory.channel(channel, "cli")
    _legacy(memory, "cli:solo", "cli_solo", b"solo")
    _legacy(memory, "cli:a:b", "cli_a_b", b"shared")  # the one file both rows point at
    _legacy(memory, "cli:a_b", "cli_a_b", b"shared")
    (source := tmp_path / "new.ogg").write_bytes(b"new")
    new = await memory.add_artifact("cli:solo", source, kind=Kind.AUDIO, mime="audio/ogg",
                                    producer="upload")
    old = await memory.artifact("cli:solo", "a1")
    assert old is not None and old.path.read_bytes() == b"solo"  # reachable where it was
    assert new.handle == "a2" and new.path.parent == memory.channel_dir("cli:solo")

    await memory.forget("cli:solo")  # its old folder and its new one
    assert not (memory.media_dir / "cli_solo").exists()
    assert not memory.channel_dir("cli:solo").exists()
    await memory.forget("cli:a:b")  # the old folder still holds the other channel's file
    shared = await memory.artifact("cli:a_b", "a1")
    assert shared is not None and shared.path.read_bytes() == b"shared"
    await memory.forget("cli:a_b")  # now nobody's
    assert not (memory.media_dir / "cli_a_b").exists()
