"""The mono_to_binaural family's base."""

from __future__ import annotations

from abc import abstractmethod

from media.audio import Audio
from models.base import Backend


class BinauralRenderer(Backend):
    """mono_to_binaural: one channel placed around the listener's head."""

    @abstractmethod
    def render(self, audio: Audio, azimuth: float | None, elevation: float = 0.0,
               distance: float = 1.0) -> Audio:
        """Stereo for headphones. Azimuth in degrees (0 ahead, 90 right, -90 left, 180
        behind; None circles the head), elevation in degrees, distance in metres."""
