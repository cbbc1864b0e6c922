"""Whisper base's translate task (embedded tier): speech in any of Whisper's languages to
English text, on a CPU, with the model speech recognition uses."""

from __future__ import annotations

from media.audio import Audio
from models.speech_recognition.base import Transcript
from models.speech_recognition.whisper_base import LANGUAGES, WhisperBaseWeights
from models.translation.base import Translator
from models.translation.whisper import whisper_translate


class WhisperBaseTranslate(WhisperBaseWeights, Translator):
    """Speech to English text; other targets are the neural catalog's (SeamlessM4T)."""

    name = "faster-whisper-base-translate"
    task = "speech_translation"
    model = "Whisper base (CTranslate2, multilingual)"
    languages = ("en",)  # the translate task writes English only
    sources = LANGUAGES

    def translate(self, audio: Audio, target: str, source: str | None = None) -> Transcript:
        self.check_language(target)
        self.check_source(source)
        return whisper_translate(self._model, audio, source, self.settings.asr_batch_size)
