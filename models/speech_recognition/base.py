"""The speech_recognition family's base: a transcriber and the transcript it returns."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field

from media.audio import Audio
from models.base import Backend


@dataclass
class Segment:
    """A stretch of transcript, with times in seconds."""

    start: float
    end: float
    text: str


@dataclass
class Transcript:
    """What a transcriber heard."""

    text: str
    language: str
    segments: list[Segment] = field(default_factory=list)


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
