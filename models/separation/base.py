"""The speech_separation family's base: the voice of a reference clip kept, or each
voice on its own track."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass

from core_agent.errors import Unsupported
from media.audio import Audio
from models.base import Backend


@dataclass
class Extraction:
    """The reference speaker's track, the rest, and how close each sounds to the reference."""

    target: Audio
    residual: Audio
    target_similarity: float  # cosine of speaker embeddings, -1..1
    residual_similarity: float


class SpeakerSeparator(Backend):
    """speech_separation: the voice of a reference clip kept, or each voice on its own track."""

    speakers: int = 0  # voices a separation without a reference gives; 0: it needs one

    @abstractmethod
    def extract(self, mixture: Audio, reference: Audio) -> Extraction:
        """The part of the mixture spoken by the voice of the reference clip, and the rest."""

    def separate(self, mixture: Audio) -> list[Audio]:
        """One track per voice (`speakers` of them), without a reference."""
        raise Unsupported(f"{self.model} needs a clip of the wanted speaker")
