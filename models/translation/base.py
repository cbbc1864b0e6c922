"""The speech_translation family's base."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from core_agent.errors import Unsupported
from media.audio import Audio
from models.base import Backend
from models.speech_recognition.base import Transcript


class Translator(Backend):
    """speech_translation: speech in one language to text in another.

    Its `languages` are the targets, the languages it writes: the target is what picks a
    translator (`BackendCache.for_task`), as the language spoken picks a voice."""

    sources: ClassVar[tuple[str, ...]] = ()  # the speech it understands; empty means any

    def check_source(self, source: str | None) -> None:
        """Guard: refuse speech in a language it does not understand."""
        if source and self.sources and source.lower() not in self.sources:
            raise Unsupported(f"{self.model} does not understand speech in {source}")

    @abstractmethod
    def translate(self, audio: Audio, target: str, source: str | None = None) -> Transcript:
        """Text in `target` for speech (16 kHz mono) in `source` (None: whatever it hears);
        the transcript's language is the target."""
