"""The style_transfer family's base: speech in the voice of a reference recording."""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

from media.audio import Audio
from models.base import Backend


class VoiceCloner(Backend):
    """style_transfer: speech from text in the voice of a reference recording."""

    reference_rate: ClassVar[int]  # Hz the reference recording is decoded at
    needs_transcript: ClassVar[bool] = False  # whether it must be told what the reference says

    def reference_clip(self, reference: Audio) -> Audio:
        """The part of the reference it learns the voice from (all of it, unless overridden)."""
        return reference

    @abstractmethod
    def speak_like(self, text: str, reference: Audio, transcript: str | None = None,
                   seed: int | None = None) -> Audio:
        """Speak the text in the reference's voice; `transcript` is what the reference says,
        and the same seed gives the same audio."""
