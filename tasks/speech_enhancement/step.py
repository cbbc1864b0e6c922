"""How a worker runs speech_enhancement."""

from __future__ import annotations

from media.decode import decode
from models.speech_enhancement.base import AudioProcessor
from tasks.base import AudioIn
from workers.steps.base import Inputs, Output, Step, voice_note


def run(processor: AudioProcessor, a: AudioIn, given: Inputs) -> Output:
    """Audio in, audio out, for every AudioProcessor task."""
    tracks = processor.process(decode(given.media["audio"].path, 48_000))
    files = []
    for i, track in enumerate(tracks, start=1):
        name = f"track {i}" if len(tracks) > 1 else ""
        files.append(voice_note(track, given.work, f"out{i}", name))
    return Output(files=files)


STEP = Step(AudioProcessor, AudioIn, run)
