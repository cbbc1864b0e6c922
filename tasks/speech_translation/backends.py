"""The backends of speech_translation, best first."""

from __future__ import annotations

from models.base import Backend
from models.translation.seamless import SeamlessTranslate
from models.translation.whisper import WhisperTranslate
from models.translation.whisper_base import WhisperBaseTranslate

# English to Whisper; SeamlessM4T writes the other languages; Whisper base is the embedded
# tier's, English only.
BACKENDS: tuple[type[Backend], ...] = (WhisperTranslate, SeamlessTranslate, WhisperBaseTranslate)
