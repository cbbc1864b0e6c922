"""The sound family's bases: a tagger of sounds over time (sound_detection), a finder of a
sound described in words (target_sound_detection), a masker that keeps what such a finder
found (sound_extraction), and a captioner (audio_to_text)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from media.audio import Audio
from models.base import Backend
from models.sound.events import Event, FrameScores, find_events
from models.sound.masking import masked

Transcribe = Callable[[Audio], str]


class SoundDetector(Backend):
    """sound_detection: a tagger of AudioSet classes over time, and the events it hears."""

    @property
    @abstractmethod
    def labels(self) -> list[str]:
        """Class names, in the order of the probabilities' columns."""

    @abstractmethod
    def frame_scores(self, audio: Audio) -> FrameScores:
        """Class probabilities for every window of the recording."""

    def events(self, audio: Audio, max_overlapping: int = 2) -> tuple[FrameScores, list[Event]]:
        """Frame scores and the events found in them."""
        scores = self.frame_scores(audio)
        return scores, find_events(scores, self.labels, max_overlapping=max_overlapping)


class TargetDetector(Backend):
    """target_sound_detection: when the sound described in words occurs."""

    @abstractmethod
    def find(self, audio: Audio, query: str) -> tuple[list[str], list[Event]]:
        """What the query was matched as (empty: nothing it knows), and when it sounds."""


class MaskExtractor(TargetDetector):
    """sound_extraction: keep the described sound where the detector finds it, attenuate
    the rest."""

    def extract(self, audio: Audio, query: str) -> tuple[list[str], list[Event], Audio | None]:
        """The matched classes, their events, and the masked audio (None if none sounds)."""
        classes, events = self.find(audio, query)
        if not events:
            return classes, events, None
        return classes, events, masked(audio, events)


@dataclass
class Caption:
    """A description of a recording, and whatever the captioner found on the way."""

    text: str
    data: dict[str, Any] = field(default_factory=dict)


class Captioner(Backend):
    """audio_to_text: what can be heard in a recording."""

    transcribes_speech: ClassVar[bool] = False  # whether describe() wants a transcriber

    @abstractmethod
    def describe(self, audio: Audio, transcribe: Transcribe | None = None) -> Caption:
        """The caption; `transcribe` (speech to text) is given where `transcribes_speech`."""
