"""Whisper large-v3 in CTranslate2 format, run with faster-whisper (neural catalog): it keeps
Whisper's translate task (turbo was trained without it), speech in any of its languages to
English text; on a GPU when a worker has one."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from media.audio import Audio
from models.catalog.checkpoints import CatalogEntry
from models.speech_recognition.base import Transcript
from models.speech_recognition.faster_whisper import (
    CT2_FILES,
    FasterWhisperCheckpoint,
    run_whisper,
)
from models.translation.base import Translator


class WhisperTranslate(FasterWhisperCheckpoint, Translator):
    """Speech in any of Whisper's languages to English text."""

    name = "faster-whisper-large-v3"
    task = "speech_translation"
    model = "Whisper large-v3 (CTranslate2)"
    install_hint = "audiogpt models pull speech_translation"
    languages = ("en",)  # the translate task writes English only
    entry = CatalogEntry("faster-whisper-large-v3", "Systran/faster-whisper-large-v3",
                         CT2_FILES, size="3.1 GB", license="MIT")

    def translate(self, audio: Audio, target: str, source: str | None = None) -> Transcript:
        self.check_language(target)
        return whisper_translate(self._model, audio, source, self.settings.asr_batch_size)


def whisper_translate(model: Any, audio: Audio, source: str | None,
                      batch_size: int | None) -> Transcript:
    """A faster-whisper model's translate task: English text for speech in `source`."""
    heard = run_whisper(model, audio, source, task="translate", batch_size=batch_size)
    return replace(heard, language="en")  # run_whisper reports the language it heard
