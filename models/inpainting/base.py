"""The audio_inpainting family's base."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from core_agent.errors import Unsupported
from media.audio import Audio
from models.base import Backend


class Inpainter(Backend):
    """audio_inpainting: a gap filled from the sound around it; the rest stays as it was."""

    max_gap: ClassVar[float]  # seconds, the longest gap it fills

    def check_gap(self, audio: Audio, start: float, end: float) -> None:
        """Guard: refuse a gap outside the recording or longer than it can fill."""
        if not 0 <= start < end <= audio.duration:
            raise Unsupported(f"the gap {start:g}–{end:g} s is not inside the "
                              f"{audio.duration:.1f} s recording")
        if end - start > self.max_gap:
            raise Unsupported(f"gaps up to {self.max_gap:g} s can be filled, not "
                              f"{end - start:.1f} s")

    @abstractmethod
    def fill(self, audio: Audio, start: float, end: float) -> tuple[Audio, str]:
        """The audio with [start, end) seconds replaced by a reconstruction, and the method."""
