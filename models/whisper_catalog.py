"""Whisper large-v3 family in CTranslate2 format, run with faster-whisper (neural catalog).

large-v3-turbo transcribes about 100 languages and detects which one it hears; large-v3
keeps Whisper's translate task (turbo was trained without it), speech in any of those
languages to English text. Both run on a GPU when a worker has one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from media.audio import Audio
from models.base import Transcriber, Transcript, Translator
from models.catalog.checkpoints import CatalogEntry, NeuralBackend
from models.faster_whisper_asr import run_whisper, run_whisper_notes

CT2_FILES = ("config.json", "model.bin", "tokenizer.json", "vocabulary.*",
             "preprocessor_config.json")


class _FasterWhisperCatalog(NeuralBackend):
    license = "MIT"
    requires = ("faster_whisper",)
    _model: Any = None

    def load(self) -> None:
        from faster_whisper import WhisperModel

        self._model = WhisperModel(str(self.folder), device="auto", compute_type="default")


class WhisperTurbo(_FasterWhisperCatalog, Transcriber):
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
        return run_whisper(self._model, audio, language, word_timestamps=word_timestamps)

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        return run_whisper_notes(self._model, audios, language, word_timestamps=word_timestamps)


class WhisperTranslate(_FasterWhisperCatalog, Translator):
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
        heard = run_whisper(self._model, audio, source, task="translate")
        return replace(heard, language="en")  # run_whisper reports the language it heard
