"""The text_to_speech family's base: a synthesizer and the voices it offers by name."""

from __future__ import annotations

import contextvars
import queue
import threading
from abc import abstractmethod
from collections.abc import Generator, Iterable, Iterator
from typing import ClassVar

import numpy as np

from media.audio import Audio
from models.base import Backend

AHEAD_POLL = 0.05  # seconds between looks at whether the caller stopped, once a piece waits


class Synthesizer(Backend):
    """text_to_speech."""

    voices: ClassVar[tuple[str, ...]] = ()  # the voices users can ask for by name

    @classmethod
    def offers(cls, voice: str) -> bool:
        """Whether it has a voice of this name (cheap; loads nothing)."""
        return voice.lower() in cls.voices

    @abstractmethod
    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        """Text to speech; speed 1.0 is the voice's natural rate."""

    def stream(self, text: str, voice: str | None = None, speed: float = 1.0,
               language: str = "en") -> Iterator[Audio]:
        """The speech in pieces as they are made, one sentence at a time where the model
        works so; by default all of it as one piece."""
        return iter([self.synthesize(text, voice, speed, language)])


def joined(pieces: Iterable[Audio]) -> Audio:
    """Pieces of one voice's speech as one recording."""
    made = list(pieces)
    return Audio(np.concatenate([p.samples for p in made]).astype(np.float32),
                 made[0].sample_rate)


def ahead(pieces: Iterable[Audio]) -> Generator[Audio, None, None]:
    """The pieces, each made on a thread of its own while the one before is used (encoded,
    say), at most one made ahead. That thread runs in the caller's context (a step's stop
    token); when the caller stops early it ends with the piece it is making, and is waited
    for."""
    made: queue.Queue[Audio | BaseException | None] = queue.Queue(maxsize=1)
    quit = threading.Event()

    def offer(item: Audio | BaseException | None) -> bool:
        while not quit.is_set():
            try:
                made.put(item, timeout=AHEAD_POLL)
                return True
            except queue.Full:
                pass
        return False

    def make() -> None:
        try:
            for piece in pieces:
                if not offer(piece):
                    return
            offer(None)
        except BaseException as err:  # raised on the caller's side
            offer(err)

    thread = threading.Thread(target=contextvars.copy_context().run, args=(make,),
                              name="speech-ahead", daemon=True)
    thread.start()
    try:
        while (piece := made.get()) is not None:
            if isinstance(piece, BaseException):
                raise piece
            yield piece
    finally:
        quit.set()
        thread.join()
