"""The voice-channel pipeline without a gateway: PCM frames as Discord delivers them (48 kHz
stereo, 20 ms), Silero VAD, the agent with real models, and Opus frames back out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import discord
import numpy as np
from scipy import signal

from bots.discord.send import VoiceNote, waveform
from bots.discord.voice import (
    FRAME_BYTES,
    FRAME_SAMPLES,
    PCM_RATE,
    OpusFrames,
    Speaker,
    VoicePipeline,
)
from bots.discord.voice_receive import open_e2ee
from core_agent.planning.offline.planner import DECLINE
from core_agent.speaking import sentences
from core_agent.tables import Job
from core_agent.types import Reply, StepStatus
from media.audio import ASR_RATE, Audio
from models.text_to_speech.base import joined
from tests.conftest import report
from tests.core_agent.test_agent import rows
from tests.samples import voice_note, wer
from workers.runtime import Runtime

ANA = Speaker(1400000000000000001, "Ana", (1500000000000000001,))
BEN = Speaker(1400000000000000002, "Ben")
SAYS = {ANA: "please say good morning everyone", BEN: "please say see you tomorrow"}
SPOKEN = {ANA: "good morning everyone", BEN: "see you tomorrow"}
QUESTION = "what will the weather be like tomorrow"  # declined in three sentences
CHANNEL, GUILD = "discord:1300000000000000003", "discord:guild:1200000000000000001"


def frames(backends: Any, text: str, silence: float = 1.0) -> list[bytes]:
    """Piper speech as Discord's 20 ms frames of 48 kHz stereo 16-bit PCM, then quiet."""
    speech = backends.for_task("text_to_speech").synthesize(text)
    at_48k = signal.resample_poly(speech.samples, PCM_RATE, speech.sample_rate)
    mono = np.concatenate([at_48k, np.zeros(int(silence * PCM_RATE))])
    mono = np.pad(mono, (0, -len(mono) % FRAME_SAMPLES))
    pcm = (np.repeat(mono[:, None], 2, axis=1) * 32767 * 0.8).astype("<i2").tobytes()
    return [pcm[i:i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)]


def played(source: OpusFrames) -> Audio:
    """What a listener hears: the Opus packets decoded by libopus, as 16 kHz mono."""
    decoder = discord.opus.Decoder()
    pcm = b"".join(decoder.decode(packet, fec=False) for packet in source.packets)
    stereo = np.frombuffer(pcm, "<i2").astype(np.float32).reshape(-1, 2) / 32768
    return Audio(signal.resample_poly(stereo.mean(axis=1), ASR_RATE, PCM_RATE), ASR_RATE)


async def test_two_overlapping_speakers_are_answered_aloud(runtime: Runtime,
                                                           backends: Any) -> None:
    pipeline = VoicePipeline(runtime.agent, "discord:1300000000000000002",
                             ["discord:guild:1200000000000000001"])
    listening = asyncio.create_task(pipeline.run())
    ana, ben = frames(backends, SAYS[ANA]), frames(backends, SAYS[BEN])
    offset = 40  # Ben starts 0.8 s after Ana, while she is still talking
    for step in range(max(len(ana), len(ben) + offset)):
        if step < len(ana):
            pipeline.feed(ANA, ana[step])
        if 0 <= step - offset < len(ben):
            pipeline.feed(BEN, ben[step - offset])
    try:
        replies = [await asyncio.wait_for(pipeline.playback.get(), 180) for _ in range(2)]
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening

    transcripts = [str(backends.for_task("speech_recognition").transcribe(played(r)).text)
                   for r in replies]
    for speaker in (ANA, BEN):
        best = min(wer(SPOKEN[speaker], t) for t in transcripts)
        report(f"discord voice: {speaker.name}'s answer played back, WER {best:.2f}")
        assert best < 0.2, transcripts
    assert all(len(r.packets) > 25 and r.read() and r.is_opus() for r in replies)

    stored = await runtime.memory.messages("discord:1300000000000000002")
    turns = [(row.author, row.user_id) for row, _ in stored if row.role == "user"]
    assert sorted(turns) == [("Ana", f"discord:user:{ANA.id}"), ("Ben", f"discord:user:{BEN.id}")]
    channel = await runtime.memory.channel("discord:1300000000000000002", "discord")
    assert channel.voice_replies


def test_libopus_loads_and_round_trips() -> None:
    tone = (np.sin(np.arange(FRAME_SAMPLES) / 10) * 8000).astype("<i2")
    pcm = np.repeat(tone[:, None], 2, axis=1).tobytes()
    packet = discord.opus.Encoder().encode(pcm, FRAME_SAMPLES)
    assert discord.opus.is_loaded() and 0 < len(packet) < len(pcm)
    assert len(discord.opus.Decoder().decode(packet, fec=False)) == FRAME_BYTES


def test_a_voice_note_carries_duration_and_a_waveform(tmp_path: Path) -> None:
    note = VoiceNote(voice_note("one two three four", tmp_path))
    meta = note.to_dict(0)
    note.close()
    assert meta["filename"] == "voice-message.ogg" and 1.0 < meta["duration_secs"] < 5.0
    assert len(note.wave) <= 256 and max(note.wave) == 255 and min(note.wave) < 64
    quiet_then_loud = np.concatenate([np.zeros(800), np.ones(800)])
    assert waveform(quiet_then_loud, 4) == bytes([0, 0, 255, 255])


def test_frames_without_end_to_end_encryption_pass_as_they_are() -> None:
    frame = b"\xfc\xff\xfe"
    assert open_e2ee(None, ANA.id, frame) == frame


class Recorded(asyncio.Queue[OpusFrames]):
    """The playback queue, noting each part in the turn's events as it is queued."""

    def __init__(self, events: list[str]) -> None:
        super().__init__()
        self.events = events

    def put_nowait(self, item: OpusFrames) -> None:
        self.events.append("queued")
        super().put_nowait(item)


def watch_synthesis(monkeypatch: Any, backends: Any, events: list[str],
                    fails: str | None = None) -> list[float]:
    """Note each sentence Piper finishes (and its length); `fails` is one it breaks on."""
    tts = backends.for_task("text_to_speech")
    real, lengths = tts.stream, []

    def stream(text: str, *args: Any, **kwargs: Any) -> Iterator[Audio]:
        if text == fails:
            raise RuntimeError("the voice broke")
        pieces = list(real(text, *args, **kwargs))
        events.append(f"synthesised {text}")
        lengths.append(joined(pieces).duration)
        return iter(pieces)

    monkeypatch.setattr(tts, "stream", stream)
    return lengths


async def ask_aloud(runtime: Runtime, said: list[bytes], events: list[str]
                    ) -> tuple[Reply, list[OpusFrames]]:
    """One spoken question through the pipeline: the reply posted and the parts played."""
    posted: asyncio.Queue[Reply] = asyncio.Queue()

    async def post(_: Speaker, reply: Reply) -> None:
        await posted.put(reply)

    pipeline = VoicePipeline(runtime.agent, CHANNEL, [GUILD], on_reply=post,
                             playback=Recorded(events))
    listening = asyncio.create_task(pipeline.run())
    for frame in said:
        pipeline.feed(ANA, frame)
    try:
        reply = await asyncio.wait_for(posted.get(), 180)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
    return reply, [pipeline.playback.get_nowait() for _ in range(pipeline.playback.qsize())]


async def test_a_spoken_reply_plays_sentence_by_sentence(runtime: Runtime, backends: Any,
                                                         monkeypatch: Any) -> None:
    said, events = frames(backends, QUESTION), list[str]()
    lengths = watch_synthesis(monkeypatch, backends, events)
    reply, parts = await ask_aloud(runtime, said, events)

    expected = sentences(DECLINE)
    assert DECLINE in reply.text and len(expected) == 3
    assert events == [e for s in expected for e in (f"synthesised {s}", "queued")]
    # each part is the voice note's own packets, 20 ms each, heard as long as it was made
    heard = [played(p) for p in parts]
    assert all(abs(h.duration - n) < 0.03 for h, n in zip(heard, lengths, strict=True))
    transcript = str(backends.for_task("speech_recognition").transcribe(
        Audio(np.concatenate([h.samples for h in heard]), ASR_RATE)).text)
    report(f"discord voice: a reply in {len(parts)} parts, WER {wer(DECLINE, transcript):.2f}")
    assert wer(DECLINE, transcript) < 0.25, transcript
    jobs = sorted(rows(runtime, Job, purpose="voice"), key=lambda j: j.created_at)
    assert [(j.args["text"], j.status) for j in jobs] == [(s, StepStatus.DONE) for s in expected]


async def test_a_sentence_that_fails_costs_only_its_part(runtime: Runtime, backends: Any,
                                                         monkeypatch: Any, caplog: Any) -> None:
    said, events = frames(backends, QUESTION), list[str]()
    first, broken, last = sentences(DECLINE)
    watch_synthesis(monkeypatch, backends, events, fails=broken)
    caplog.set_level(logging.WARNING, "core_agent.speaking")
    reply, parts = await ask_aloud(runtime, said, events)

    assert reply.error_code is None and DECLINE in reply.text
    assert events == [f"synthesised {first}", "queued", f"synthesised {last}", "queued"]
    assert len(parts) == 2 and all(p.packets for p in parts)
    assert any("spoken reply failed" in r.getMessage() for r in caplog.records)
    jobs = sorted(rows(runtime, Job, purpose="voice"), key=lambda j: j.created_at)
    assert [j.status for j in jobs] == [StepStatus.DONE, StepStatus.FAILED, StepStatus.DONE]


async def test_a_speaker_whose_client_stops_sending_is_answered_while_others_send(
        runtime: Runtime, backends: Any, monkeypatch: Any) -> None:
    # A client that stops transmitting sends five Opus silence frames, then nothing.
    silence = discord.opus.Decoder().decode(b"\xf8\xff\xfe", fec=False)
    said, events = [*frames(backends, SAYS[ANA], silence=0.0), *[silence] * 5], list[str]()
    asr = backends.for_task("speech_recognition")
    real = asr.transcribe

    def transcribe(*args: Any, **kwargs: Any) -> Any:
        events.append("transcribing")
        return real(*args, **kwargs)

    monkeypatch.setattr(asr, "transcribe", transcribe)
    pipeline = VoicePipeline(runtime.agent, CHANNEL, [GUILD])
    listening = asyncio.create_task(pipeline.run())
    for frame in said:
        pipeline.feed(ANA, frame)
    try:
        for _ in range(500):  # Ben's open microphone: 10 s of quiet frames at Discord's pace
            if events:
                break
            pipeline.feed(BEN, bytes(FRAME_BYTES))
            await asyncio.sleep(FRAME_SAMPLES / PCM_RATE)
        assert events == ["transcribing"]  # Ana's turn ended while Ben's frames still came
        answer = await asyncio.wait_for(pipeline.playback.get(), 180)
    finally:
        listening.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listening
    heard = str(asr.transcribe(played(answer)).text)
    assert wer(SPOKEN[ANA], heard) < 0.2, heard
