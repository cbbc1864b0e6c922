"""Each task's step takes the argument model the task declares and the family every backend
of the task belongs to; a mismatch is refused at dispatch, before any model runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import backends_for
from models.settings import BARE
from models.speech_recognition.base import Transcriber
from tasks import TASKS
from tasks.base import AudioIn
from workers.steps import EXECUTORS, executor_for


@pytest.mark.parametrize("task", sorted(TASKS))
def test_a_step_fits_its_task_and_every_backend_of_it(task: str) -> None:
    step = EXECUTORS[task]
    assert step.args is TASKS[task].args
    assert backends_for(task), task
    assert all(cls.task == task for cls in backends_for(task)), task  # listed where it serves
    assert all(issubclass(cls, step.family) for cls in backends_for(task)), task


def test_a_backend_of_another_family_is_refused_before_it_runs(tmp_path: Path) -> None:
    detector = next(cls for cls in backends_for("sound_detection") if cls.tier == "embedded")
    backend = detector.create(BARE)  # never loaded: the check comes first
    with pytest.raises(TypeError, match=f"{detector.__name__} with AudioIn is not a "
                                        f"{Transcriber.__name__}"):
        executor_for("speech_recognition")(backend, AudioIn(audio="a1"), {}, tmp_path)
