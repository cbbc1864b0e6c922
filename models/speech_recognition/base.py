"""The speech_recognition family's base: a transcriber and the transcript it returns."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

from media.audio import Audio
from models.base import Backend


@dataclass
class Word:
    """One word of a segment, with times in seconds."""

    start: float
    end: float
    text: str  # as the engine spells it: with its leading space, none before "-disposed"


@dataclass
class Segment:
    """A stretch of transcript, with times in seconds."""

    start: float
    end: float
    text: str
    logprob: float | None = None  # the decoder's mean log-probability per token
    words: list[Word] = field(default_factory=list)  # with word timestamps, if timed


@dataclass
class Transcript:
    """What a transcriber heard."""

    text: str
    language: str
    segments: list[Segment] = field(default_factory=list)

    @property
    def logprob(self) -> float | None:
        """The segments' mean token log-probability, weighted by duration (None: unknown)."""
        known = [(s.end - s.start, s.logprob) for s in self.segments if s.logprob is not None]
        total = sum(length for length, _ in known)
        if not known:
            return None
        if total <= 0:
            return sum(p for _, p in known) / len(known)
        return sum(length * p for length, p in known) / total


class Transcriber(Backend):
    """speech_recognition."""

    @abstractmethod
    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """Speech (16 kHz mono) to text."""

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        """Several recordings, one transcript each in order; backends that can decode them
        as one batch override this."""
        return [self.transcribe(audio, language, word_timestamps) for audio in audios]
