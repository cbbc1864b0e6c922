"""The text_to_speech family's base: a synthesizer and the voices it offers by name."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from media.audio import Audio
from models.base import Backend


class Synthesizer(Backend):
    """text_to_speech."""

    voices: ClassVar[tuple[str, ...]] = ()  # the voices users can ask for by name

    @classmethod
    def offers(cls, voice: str) -> bool:
        """Whether it has a voice of this name (cheap; loads nothing)."""
        return voice.lower() in cls.voices

    @abstractmethod
    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        """Text to speech; speed 1.0 is the voice's natural rate."""
