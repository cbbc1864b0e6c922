"""One small base per task family; each backend module implements one of them."""

from __future__ import annotations

import importlib.util
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from models.audio import Audio
from models.errors import BackendUnavailable, Unsupported

if TYPE_CHECKING:
    from models.scores import Score


class Backend(ABC):
    """A model (or signal-processing method) that serves one task."""

    name: ClassVar[str]  # registry key, e.g. "faster-whisper-tiny-en"
    task: ClassVar[str]  # canonical task id
    model: ClassVar[str]  # what users know it as
    license: ClassVar[str]
    tier: ClassVar[str] = "embedded"  # embedded | neural
    install_hint: ClassVar[str] = "pip install audiogpt"
    requires: ClassVar[tuple[str, ...]] = ()  # importable modules it needs
    languages: ClassVar[tuple[str, ...]] = ()  # ISO 639-1; empty means any

    @classmethod
    def installed(cls, models_dir: Path | None = None) -> bool:
        """Whether its packages and weights are present (cheap; loads nothing).

        `models_dir` is where neural-catalog checkpoints are pulled to."""
        return all(importlib.util.find_spec(m) is not None for m in cls.requires)

    @classmethod
    def create(cls, models_dir: Path | None = None) -> Backend:
        """An unloaded instance; BackendUnavailable naming the model and how to install it."""
        if not cls.installed(models_dir):
            raise BackendUnavailable(cls.model, cls.install_hint)
        return cls()

    @classmethod
    def speaks(cls, language: str | None) -> bool:
        """Whether it handles this language (None: whatever it is given)."""
        return not language or not cls.languages or language.lower() in cls.languages

    def check_language(self, language: str | None) -> None:
        """Guard: refuse a language the backend does not speak."""
        if not self.speaks(language):
            raise Unsupported(f"{self.model} handles {', '.join(self.languages)}, not {language}")

    @abstractmethod
    def load(self) -> None:
        """Load weights; called once per process, before first use."""


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
    """speech_recognition and speech_translation."""

    @abstractmethod
    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """Speech (16 kHz mono) to text."""

    def transcribe_many(self, audios: list[Audio], language: str | None = None,
                        word_timestamps: bool = False) -> list[Transcript]:
        """Several recordings, one transcript each in order; backends that can decode them
        as one batch override this."""
        return [self.transcribe(audio, language, word_timestamps) for audio in audios]


class Synthesizer(Backend):
    """text_to_speech."""

    @abstractmethod
    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        """Text to speech; speed 1.0 is the voice's natural rate."""


class AudioProcessor(Backend):
    """Audio in, audio out (enhancement, separation, binaural, ...)."""

    @abstractmethod
    def process(self, audio: Audio) -> list[Audio]:
        """One or more output tracks."""


class BinauralRenderer(Backend):
    """mono_to_binaural: one channel placed around the listener's head."""

    @abstractmethod
    def render(self, audio: Audio, azimuth: float | None, elevation: float = 0.0,
               distance: float = 1.0) -> Audio:
        """Stereo for headphones. Azimuth in degrees (0 ahead, 90 right, -90 left, 180
        behind; None circles the head), elevation in degrees, distance in metres."""


class Singer(Backend):
    """singing_synthesis."""

    @abstractmethod
    def sing(self, score: Score) -> Audio:
        """The score sung, one mono recording."""


class TalkingHead(Backend):
    """talking_head."""

    @abstractmethod
    def render(self, picture: Path | None, audio: Audio, sound: Path, target: Path) -> Path:
        """An MP4 of the portrait (None: the default face) saying `audio`, whose file is
        `sound`, written to `target`."""


class FileEditor(Backend):
    """Edits that work file to file (ffmpeg)."""

    @abstractmethod
    def edit(self, source: Path, target_dir: Path, operation: str, **params: object) -> Path:
        """Apply one operation and return the new file."""


class Generator(Backend):
    """text_to_music and text_to_audio: sound from a description."""

    max_seconds: ClassVar[float] = 30.0  # the longest clip it makes in one go

    @abstractmethod
    def generate(self, prompt: str, duration: float, seed: int | None = None) -> Audio:
        """`duration` seconds of audio for the prompt; the same seed gives the same audio."""
