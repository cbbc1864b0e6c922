"""How a worker runs audio_edit."""

from __future__ import annotations

from core_agent.types import Kind
from models.audio_edit.base import FileEditor
from tasks.audio_edit import AudioEditArgs
from workers.steps.base import Inputs, Output, OutputFile, Step


def run(editor: FileEditor, a: AudioEditArgs, given: Inputs) -> Output:
    """Apply one edit with ffmpeg."""
    params = a.model_dump(exclude={"audio", "operation", "other"}, exclude_none=True)
    if "other" in given.media:
        params["other"] = given.media["other"].path
    path = editor.edit(given.media["audio"].path, given.work, a.operation, **params)
    return Output(files=[OutputFile(path, Kind.AUDIO, a.describe())])


STEP = Step(FileEditor, AudioEditArgs, run)
