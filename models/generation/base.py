"""The generation family's bases: sound from a description in words (text_to_audio,
text_to_music), and a picture put into such words (image_to_audio's first half)."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path
from typing import ClassVar

from media.audio import Audio
from models.base import Backend


class Generator(Backend):
    """text_to_music and text_to_audio: sound from a description."""

    max_seconds: ClassVar[float] = 30.0  # the longest clip it makes in one go

    @abstractmethod
    def generate(self, prompt: str, duration: float, seed: int | None = None) -> Audio:
        """`duration` seconds of audio for the prompt; the same seed gives the same audio."""


class ImageCaptioner(Backend):
    """image_to_audio's first half: what a picture shows, in words a sound model reads."""

    @abstractmethod
    def caption(self, picture: Path) -> str:
        """A short description of the picture."""
