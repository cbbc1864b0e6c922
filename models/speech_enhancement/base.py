"""The speech_enhancement family's base."""

from __future__ import annotations

from abc import abstractmethod

from media.audio import Audio
from models.base import Backend


class AudioProcessor(Backend):
    """speech_enhancement: audio in, audio out (one or more tracks)."""

    @abstractmethod
    def process(self, audio: Audio) -> list[Audio]:
        """One or more output tracks."""
