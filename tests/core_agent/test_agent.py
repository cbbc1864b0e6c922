"""The whole path through the agent, in-process: real planner, real models, real ffmpeg."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from core_agent.config import Settings
from core_agent.planning import PlanningContext
from core_agent.tables import Job, MessageRecord
from core_agent.types import Attachment, Message, Plan, PlanStep, Reply, StepStatus
from media.probe import probe
from models.cache import BackendCache
from tests.conftest import make_settings
from tests.samples import add_noise, convert, espeak, tone, voice_note, wer
from workers.runtime import Runtime, build_runtime

SPOKEN = "the package arrives on monday afternoon"


def ask(text: str = "", *files: Path, channel: str = "cli:test") -> Message:
    return Message(channel_id=channel, text=text,
                   attachments=[Attachment(path=f, filename=f.name) for f in files])


def transcript_of(reply: Reply) -> str:
    step = next(s for s in reply.steps if s.task == "speech_recognition")
    assert step.status == StepStatus.DONE, step.error
    return step.text or ""


def rows(runtime: Runtime, table: type, **where: object) -> list[Any]:
    with Session(runtime.memory.engine) as session:
        query: Any = select(table)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return list(session.exec(query).all())


@pytest.mark.parametrize("suffix", [".ogg", ".mp3", ".m4a", ".wav", ".webm", ".mp4"])
async def test_transcribe_a_voice_note_in_any_format(runtime: Runtime, tmp_path: Path,
                                                     suffix: str) -> None:
    note = voice_note(SPOKEN, tmp_path, suffix=suffix)
    reply = await runtime.agent.handle(ask("transcribe this", note))
    assert reply.error_code is None, reply.text
    assert [s.task for s in reply.steps] == ["speech_recognition"]
    assert wer(SPOKEN, transcript_of(reply)) < 0.2
    assert transcript_of(reply) in reply.text


async def test_read_aloud_gives_an_ogg_opus_voice_note(runtime: Runtime, backends: BackendCache,
                                                       ffmpeg_children: list[str]) -> None:
    reply = await runtime.agent.handle(ask(f"read this aloud: {SPOKEN}"))
    assert [s.task for s in reply.steps] == ["text_to_speech"], reply.text
    assert ffmpeg_children == []  # encoded in-process, and what it wrote is not probed again
    (note,) = reply.artifacts
    info = probe(note.path)
    assert (note.mime, info.format, info.sample_rate, info.channels, note.sample_rate,
            note.channels) == ("audio/ogg", "ogg", 48_000, 1, 48_000, 1)
    assert note.path.read_bytes()[28:36] == b"OpusHead"
    assert note.handle in reply.text and note.duration and note.duration > 0.8
    assert info.duration and abs(note.duration - info.duration) < 0.03  # as recorded
    from media.decode import decode

    heard = backends.for_task("speech_recognition").transcribe(decode(note.path))  # type: ignore[attr-defined]
    assert wer(SPOKEN, heard.text) < 0.1


def words(text: str) -> str:
    """Lower-case words without punctuation (the recogniser adds commas at will)."""
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


async def test_a_voice_note_alone_is_the_request(runtime: Runtime, tmp_path: Path,
                                                 ffmpeg_children: list[str]) -> None:
    note = voice_note("please say good morning everyone", tmp_path)
    reply = await runtime.agent.handle(ask("", note))
    assert reply.error_code is None, reply.text
    # ffprobe and the length check at ingest; the transcript's decode reuses the latter's
    assert sorted(ffmpeg_children) == ["ffmpeg", "ffprobe"]
    assert "good morning everyone" in words(reply.text)  # what it heard
    assert [s.task for s in reply.steps] == ["text_to_speech"]
    assert "good morning everyone" in words(reply.steps[0].args["text"])
    (message,) = rows(runtime, MessageRecord, role="user")
    assert "good morning" in message.text.lower() and message.status == "answered"
    (listen,) = rows(runtime, Job, purpose="input")
    assert listen.status == "done" and listen.task == "speech_recognition"


async def test_voice_replies_when_the_channel_wants_them(runtime: Runtime) -> None:
    await runtime.memory.channel("cli:test", "cli")
    await runtime.memory.set_voice_replies("cli:test", True)
    reply = await runtime.agent.handle(ask("hi, what can you do?"))
    assert reply.voice is not None and probe(reply.voice.path).format == "ogg"
    assert reply.steps == []


async def test_clean_up_then_transcribe_chains_two_steps(runtime: Runtime, tmp_path: Path
                                                         ) -> None:
    speech = espeak(SPOKEN, tmp_path / "speech.wav")
    note = convert(add_noise(speech, tmp_path / "noisy.wav"), tmp_path / "noisy.ogg")
    reply = await runtime.agent.handle(ask("Clean this up and then tell me what's said", note))
    assert [s.task for s in reply.steps] == ["speech_enhancement", "speech_recognition"]
    assert reply.steps[1].args["audio"] == "step1"  # the second consumes the first's output
    assert all(s.status == StepStatus.DONE for s in reply.steps), reply.text
    assert wer(SPOKEN, transcript_of(reply)) < 0.2
    cleaned = reply.steps[0].artifacts[0]
    jobs = rows(runtime, Job, purpose="plan")
    assert [j.step for j in jobs if j.task == "speech_recognition"] == [2]
    assert cleaned.producer == "job:speech_enhancement"


@pytest.mark.parametrize("text", ["Book me a flight to Lisbon", "hi, what can you do?"])
async def test_non_audio_requests_get_text_and_no_tool(runtime: Runtime, text: str) -> None:
    reply = await runtime.agent.handle(ask(text))
    assert reply.steps == [] and reply.error_code is None
    assert len(reply.text) > 20
    assert rows(runtime, Job) == []


async def _follow_up_conversation(settings: Settings, embedder: object,
                                  backends: BackendCache) -> None:
    first = build_runtime(settings, embedder=embedder, backends=backends)  # type: ignore[arg-type]
    said = await first.agent.handle(ask(f"read this aloud: {SPOKEN}"))
    await first.aclose()

    second = build_runtime(settings, embedder=embedder, backends=backends)  # type: ignore[arg-type]
    try:
        slower = await second.agent.handle(ask("do that again but slower"))
        assert [s.task for s in slower.steps] == ["text_to_speech"], slower.text
        assert slower.steps[0].args["speed"] < 1.0
        assert slower.artifacts[0].duration > said.artifacts[0].duration * 1.1  # type: ignore[operator]

        heard = await second.agent.handle(ask("now transcribe what you just said"))
        assert heard.steps[0].args["audio"] == slower.artifacts[0].handle
        assert wer(SPOKEN, transcript_of(heard)) < 0.2

        first_one = await second.agent.handle(ask("transcribe the first one"))
        assert first_one.steps[0].args["audio"] == said.artifacts[0].handle
    finally:
        await second.aclose()


async def test_follow_ups_survive_a_restart(database_url: str, tmp_path: Path, embedder: object,
                                            backends: BackendCache) -> None:
    settings = make_settings(tmp_path / "data", database_url=database_url)
    await _follow_up_conversation(settings, embedder, backends)


async def test_the_second_one_picks_from_the_last_batch(runtime: Runtime, tmp_path: Path) -> None:
    one = voice_note("first clip here", tmp_path, "one")
    two = voice_note("second clip there", tmp_path, "two")
    await runtime.agent.handle(ask("here are two recordings", one, two))
    reply = await runtime.agent.handle(ask("transcribe the second one"))
    assert reply.steps and reply.steps[0].args["audio"] == "a2", reply.text
    assert wer("second clip there", transcript_of(reply)) < 0.34


class FixedPlanner:
    """A planner that returns a given plan (to reach states no real planner picks)."""

    name = "fixed"

    def __init__(self, plan: Plan) -> None:
        self._plan = plan

    async def plan(self, context: PlanningContext) -> Plan:
        return self._plan


@pytest.mark.parametrize(("step", "code", "words"), [
    (PlanStep(task="launch_rockets", args={}), "task-unsupported", "launch_rockets"),
    (PlanStep(task="text_to_audio", args={"prompt": "rain on a tin roof"}), "model-not-installed",
     "text_to_audio"),
    (PlanStep(task="speech_recognition", args={"audio": "a9"}), "input-rejected", "a9"),
    (PlanStep(task="speech_recognition", args={"audio": "/etc/passwd"}), "task-unsupported",
     "audio"),
])
async def test_bad_plans_get_a_clear_reply_and_are_recorded(
        runtime: Runtime, tmp_path: Path, step: PlanStep, code: str, words: str) -> None:
    note = voice_note("hello there", tmp_path)
    runtime.agent.planner = FixedPlanner(Plan(steps=[step]))
    reply = await runtime.agent.handle(ask("do the thing", note))
    assert reply.error_code == code and words in reply.text
    (message,) = rows(runtime, MessageRecord, role="user")
    assert (message.status, message.error_code) == ("failed", code)
    (job,) = rows(runtime, Job, purpose="plan")
    assert (job.status, job.error_code) == ("failed", code)


def _corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "voice.ogg"
    path.write_bytes(b"OggS\x00\x02" + bytes(range(256)) * 20)
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.ogg"
    path.write_bytes(b"")
    return path


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.mp3"  # the name lies; the content decides
    path.write_text("shopping list: eggs, milk\n" * 50)
    return path


def _long(tmp_path: Path) -> Path:
    return tone(tmp_path / "long.wav", 6.0)


@pytest.mark.parametrize(("make", "words"), [
    (_corrupt, "can't take"), (_empty, "empty"), (_text, "can't take"),
    (_long, "the limit"),
])
async def test_bad_files_are_refused_and_recorded(tmp_path: Path, embedder: object,
                                                  backends: BackendCache, make: object,
                                                  words: str) -> None:
    settings = make_settings(tmp_path / "data", max_audio_seconds=5.0)
    runtime = build_runtime(settings, embedder=embedder, backends=backends)  # type: ignore[arg-type]
    try:
        reply = await runtime.agent.handle(ask("transcribe this", make(tmp_path)))  # type: ignore[operator]
        assert reply.error_code == "input-rejected" and words in reply.text, reply.text
        (message,) = rows(runtime, MessageRecord, role="user")
        assert (message.status, message.error_code, message.text) == (
            "failed", "input-rejected", "transcribe this")
        (answer,) = rows(runtime, MessageRecord, role="assistant")
        assert answer.reply_to == message.id and answer.text == reply.text
    finally:
        await runtime.aclose()


async def test_oversized_upload_is_refused(tmp_path: Path, embedder: object,
                                           backends: BackendCache) -> None:
    settings = make_settings(tmp_path / "data", max_upload_bytes=10_000)
    runtime = build_runtime(settings, embedder=embedder, backends=backends)  # type: ignore[arg-type]
    try:
        reply = await runtime.agent.handle(ask("transcribe", tone(tmp_path / "t.wav", 2.0)))
        assert reply.error_code == "input-rejected" and "MB" in reply.text
    finally:
        await runtime.aclose()


async def test_dry_run_plans_without_running(runtime: Runtime) -> None:
    reply = await runtime.agent.handle(ask("read this aloud: hello"), dry_run=True)
    assert [(s.task, s.status) for s in reply.steps] == [("text_to_speech", StepStatus.PLANNED)]
    assert rows(runtime, Job) == [] and reply.artifacts == []


async def test_what_can_you_do_offers_what_is_installed_first(runtime: Runtime) -> None:
    reply = await runtime.agent.handle(ask("what can you do?"))
    ready, _, missing = reply.text.partition("Not installed here")
    assert "Transcribe speech" in ready and "“audiogpt tasks”" in missing
    # Talking heads run here on the embedded models; music needs a pulled model.
    assert "Talking head video" in ready and "talking head" not in missing
    assert "make music" not in ready.lower() and "music" in missing.lower(), reply.text
