"""One step per task (its folder's `step.py`): the backend family and argument model it
takes, resolved media in, files and text out. Executors are synchronous (models block) and
run in a worker thread."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from core_agent.types import Artifact
from models.base import Backend
from models.cache import BackendCache
from models.speech_recognition.batching import AsrBatcher
from tasks import ORDER, part_of
from tasks.base import Args
from workers.steps.base import Inputs, Output, OutputFile, Step

__all__ = ["EXECUTORS", "Executor", "Output", "OutputFile", "executor_for"]


def _step(task: str) -> Step[Any, Any]:
    step = part_of(task, "step", "STEP")
    assert isinstance(step, Step), task
    return step


EXECUTORS: dict[str, Step[Any, Any]] = {task: _step(task) for task in ORDER}

Executor = Callable[[Backend, Args, dict[str, Artifact], Path], Output]


def executor_for(task: str, backends: BackendCache | None = None,
                 batcher: AsrBatcher | None = None) -> Executor:
    """A task's step, bound to the process's other models (for steps that run two) and
    the batcher that gathers concurrent speech recognition (if any)."""
    step = EXECUTORS[task]

    def execute(backend: Backend, args: Args, media: dict[str, Artifact], work: Path
                ) -> Output:
        return step(backend, args, Inputs(media, work, backends, batcher))

    return execute
