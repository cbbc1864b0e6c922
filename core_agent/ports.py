"""What the agent needs from outside it, as it uses them: what a probe tells of a file, and
a runner that takes a recorded job to its end (in this process or on a worker)."""

from __future__ import annotations

from typing import Protocol

from core_agent.types import Artifact
from tasks.base import Args


class MediaFacts(Protocol):
    """What a probe reads from a file's content."""

    @property
    def kind(self) -> str: ...

    @property
    def duration(self) -> float | None: ...

    @property
    def sample_rate(self) -> int | None: ...

    @property
    def channels(self) -> int | None: ...

    @property
    def mime(self) -> str: ...

    @property
    def suffix(self) -> str: ...

    @property
    def width(self) -> int | None: ...

    @property
    def height(self) -> int | None: ...


class JobRunner(Protocol):
    """Runs a recorded job to a final state (in-process or on a worker)."""

    def check(self, task: str, language: str | None = None) -> None: ...

    def preflight(self, task: str, args: Args, media: dict[str, Artifact]) -> None:
        """The task's own check of the files it is given, before any step runs."""
        ...

    async def run(self, job_id: str) -> None: ...

    async def health(self) -> dict[str, bool]:
        """What the runner depends on, by name, and whether each answers now."""
        ...

    async def depths(self) -> dict[str, int]:
        """Jobs waiting on each queue now."""
        ...
