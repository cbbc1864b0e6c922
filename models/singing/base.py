"""The singing_synthesis family's base."""

from __future__ import annotations

from abc import abstractmethod

from media.audio import Audio
from models.base import Backend
from models.singing.scores import Score


class Singer(Backend):
    """singing_synthesis."""

    @abstractmethod
    def sing(self, score: Score) -> Audio:
        """The score sung, one mono recording."""
