"""Batching for Whisper: voice notes sent at once share one model call and each gets its own
transcript; a long recording's speech segments decode in batches with their timestamps."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from core_agent.types import Artifact, Kind
from media.audio import ASR_RATE, Audio
from media.decode import decode
from models.cache import BackendCache
from models.settings import ModelSettings
from models.speech_recognition import faster_whisper as faster_whisper_asr
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.batching import AsrBatcher
from tasks.speech_recognition import SpeechRecognitionArgs
from tests.conftest import report
from tests.samples import SENTENCES, espeak, voice_note, wer
from workers.steps import executor_for

NOTES = SENTENCES[:6]


class Counting(Transcriber):
    """A transcriber that records every call it gets, before passing it on."""

    name, task, model, license = "counting", "speech_recognition", "counting", "MIT"

    def __init__(self, inner: Transcriber) -> None:
        self.inner, self.calls = inner, cast(list[int], [])

    def load(self) -> None:
        """Nothing to load."""

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        self.calls.append(1)
        return self.inner.transcribe(audio, language, word_timestamps)

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        self.calls.append(len(audios))
        return self.inner.transcribe_many(audios, language, word_timestamps)


class ByLength(Transcriber):
    """No model: says how many samples it got, and fails on one length."""

    name, task, model, license = "by-length", "speech_recognition", "by-length", "MIT"
    bad = 0

    def load(self) -> None:
        """Nothing to load."""

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        if len(audio.samples) == self.bad:
            raise ValueError("unreadable")
        return Transcript(str(len(audio.samples)), language or "en")

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        time.sleep(0.01)
        return [self.transcribe(a, language) for a in reversed(audios)][::-1]


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> list[Audio]:
    """Six espeak-ng voice notes (OGG/Opus), each a different sentence."""
    folder = tmp_path_factory.mktemp("notes")
    return [decode(voice_note(text, folder, f"n{i}")) for i, text in enumerate(NOTES)]


@pytest.fixture
def batcher() -> Iterator[AsrBatcher]:
    b = AsrBatcher(batch_size=8, window=0.05)
    yield b
    b.close()


def _at_once(batcher: AsrBatcher, asr: Transcriber, audios: list[Audio]) -> list[Transcript]:
    with ThreadPoolExecutor(len(audios)) as pool:
        return list(pool.map(lambda a: batcher.transcribe(asr, a, "en"), audios))


@pytest.mark.timeout(60)
def test_voice_notes_sent_at_once_share_a_batch_and_keep_their_own_text(
        backends: BackendCache, notes: list[Audio], batcher: AsrBatcher) -> None:
    asr = Counting(cast(Transcriber, backends.get("faster-whisper-tiny-en")))
    started = time.perf_counter()
    got = _at_once(batcher, asr, notes)
    seconds = time.perf_counter() - started
    errors = [wer(said, t.text) for said, t in zip(NOTES, got, strict=True)]
    report(f"ASR batching: {len(notes)} voice notes at once in {len(asr.calls)} model call(s) "
           f"{asr.calls}, {seconds:.1f} s, WER {max(errors):.0%} at most")
    assert all(e < 0.2 for e in errors), [t.text for t in got]
    assert len(asr.calls) < len(notes) and sum(asr.calls) == len(notes)
    assert (batcher.batches, batcher.requests) == (len(asr.calls), len(notes))
    for note, transcript in zip(notes, got, strict=True):
        assert transcript.segments and transcript.segments[0].start >= 0
        assert transcript.segments[-1].end <= note.duration + 0.5


def test_a_note_alone_is_transcribed_by_itself(
        backends: BackendCache, notes: list[Audio], batcher: AsrBatcher) -> None:
    asr = Counting(cast(Transcriber, backends.get("faster-whisper-tiny-en")))
    transcript = batcher.transcribe(asr, notes[1], "en")
    assert wer(NOTES[1], transcript.text) < 0.2, transcript.text
    assert asr.calls == [1] and batcher.batches == 1


def test_results_never_cross_and_one_failure_stays_its_own(batcher: AsrBatcher) -> None:
    audios = [Audio(np.zeros(1000 + i, np.float32), ASR_RATE) for i in range(12)]
    asr = ByLength()
    asr.bad = 1003
    with ThreadPoolExecutor(len(audios)) as pool:
        futures = [pool.submit(batcher.transcribe, asr, a) for a in audios]
    for audio, future in zip(audios, futures, strict=True):
        if len(audio.samples) == asr.bad:
            with pytest.raises(ValueError, match="unreadable"):
                future.result()
        else:
            assert future.result().text == str(len(audio.samples))
    assert batcher.requests >= len(audios)


def test_the_executor_goes_through_the_batcher(
        backends: BackendCache, batcher: AsrBatcher, tmp_path: Path) -> None:
    note = voice_note(NOTES[2], tmp_path)
    upload = Artifact(id="x", handle="a1", kind=Kind.AUDIO, mime="audio/ogg", path=note,
                      producer="upload")
    run = executor_for("speech_recognition", backends, batcher)
    args = SpeechRecognitionArgs.model_validate({"audio": "a1"})
    output = run(backends.get("faster-whisper-tiny-en"), args, {"audio": upload}, tmp_path)
    assert wer(NOTES[2], output.text or "") < 0.2 and batcher.requests == 1


@pytest.mark.timeout(90)
def test_a_long_recording_decodes_its_segments_in_batches(
        backends: BackendCache, tmp_path: Path) -> None:
    spoken = [decode(espeak(s, tmp_path / f"s{i}.wav"), ASR_RATE).samples
              for i, s in enumerate(NOTES)]
    pause = np.zeros(int(1.5 * ASR_RATE), np.float32)
    pieces = [p for i in range(24) for p in (spoken[i % len(spoken)], pause)]
    said = " ".join(NOTES[i % len(NOTES)] for i in range(24))
    audio = Audio(np.concatenate(pieces), ASR_RATE)
    assert audio.duration > faster_whisper_asr.WINDOW_SECONDS  # more than one window
    batching = BackendCache(ModelSettings(asr_batch_size=4))  # AUDIOGPT_ASR_BATCH_SIZE=4
    out = cast(Transcriber, batching.get("faster-whisper-tiny-en")).transcribe(audio)
    starts = [s.start for s in out.segments]
    assert starts == sorted(starts) and len(out.segments) >= 20
    assert out.segments[-1].end <= audio.duration + 1 and out.segments[-1].end > audio.duration - 15
    assert wer(said, out.text) < 0.15, out.text[:300]
