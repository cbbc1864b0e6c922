"""Whisper large-v3-turbo in CTranslate2 format, run with faster-whisper (neural catalog):
about 100 languages, and it detects which one it hears; on a GPU when a worker has one."""

from __future__ import annotations

from media.audio import Audio
from models.catalog.checkpoints import CatalogEntry
from models.speech_recognition.base import Transcriber, Transcript
from models.speech_recognition.faster_whisper import (
    CT2_FILES,
    FasterWhisperCheckpoint,
    run_whisper,
    run_whisper_notes,
)


class WhisperTurbo(FasterWhisperCheckpoint, Transcriber):
    """Multilingual speech recognition with language detection."""

    name = "faster-whisper-large-v3-turbo"
    task = "speech_recognition"
    model = "Whisper large-v3-turbo (CTranslate2)"
    install_hint = "audiogpt models pull speech_recognition"
    entry = CatalogEntry("faster-whisper-large-v3-turbo",
                         "mobiuslabsgmbh/faster-whisper-large-v3-turbo", CT2_FILES,
                         size="1.6 GB", license="MIT")

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        return run_whisper(self._model, audio, language, word_timestamps=word_timestamps,
                           batch_size=self.settings.asr_batch_size)

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        return run_whisper_notes(self._model, audios, language, word_timestamps=word_timestamps)
