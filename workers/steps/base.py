"""What every step shares: its inputs, its output, and the check that pairs a backend's
family and the task's argument model with the executor written for them."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from core_agent.types import Artifact, Kind
from media.audio import Audio
from media.encode import opus_voice_note
from media.probe import MediaInfo
from models.base import Backend
from models.cache import BackendCache
from models.speech_recognition.batching import AsrBatcher
from tasks.base import Args


@dataclass
class OutputFile:
    """A file a step made, before it becomes an artifact."""

    path: Path
    kind: Kind
    label: str = ""
    info: MediaInfo | None = None  # what it holds, where the step knows (else it is probed)


@dataclass
class Output:
    """What a step produced."""

    files: list[OutputFile] = field(default_factory=list)
    text: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Inputs:
    """A step's resolved media by argument name, its work folder, and the process's other
    models for a step that also runs another task's (None outside a worker)."""

    media: dict[str, Artifact]
    work: Path
    backends: BackendCache | None = None
    batcher: AsrBatcher | None = None  # gathers concurrent speech recognition


B = TypeVar("B", bound=Backend)
A = TypeVar("A", bound=Args)


@dataclass(frozen=True)
class Step(Generic[B, A]):
    """An executor with the backend family and the argument model it is written for.

    Executors are synchronous (models block) and run in a worker thread.
    """

    family: type[B]
    args: type[A]
    run: Callable[[B, A, Inputs], Output]
    # Checks the files a plan gives it (uploads, earlier files; not a step's output) before
    # any step of the plan runs, so nothing is made for a step sure to fail.
    preflight: Callable[[A, dict[str, Artifact]], None] | None = None

    def __call__(self, backend: Backend, args: Args, given: Inputs) -> Output:
        """Run it, once the backend and the arguments are shown to be what it takes."""
        if not isinstance(backend, self.family) or not isinstance(args, self.args):
            raise TypeError(f"{type(backend).__name__} with {type(args).__name__} is not a "
                            f"{self.family.__name__} with {self.args.__name__}")
        return self.run(backend, args, given)

    def check_inputs(self, args: Args, media: dict[str, Artifact]) -> None:
        """Its preflight, if it has one; raises what it refuses."""
        if self.preflight is not None and isinstance(args, self.args):
            self.preflight(args, media)


def backend_of(backends: BackendCache, task: str, family: type[B], language: str | None = None
               ) -> B:
    """Another task's backend, loaded, for a step that runs two models; checked to be of
    the family the step drives."""
    backend = backends.for_task(task, language)
    if not isinstance(backend, family):
        raise TypeError(f"{type(backend).__name__} is not a {family.__name__}")
    return backend


def voice_note(audio: Audio | Iterable[Audio], work: Path, stem: str, label: str = ""
               ) -> OutputFile:
    """Samples (or pieces of them as they are made) as an OGG/Opus voice note in the work
    folder: an audio output."""
    target = work / f"{stem}.ogg"
    return OutputFile(target, Kind.AUDIO, label, opus_voice_note(audio, target))


def label(text: str, limit: int = 40) -> str:
    """A file's label from the text it was made from, cut to a glance."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
