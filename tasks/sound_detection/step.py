"""How a worker runs sound_detection."""

from __future__ import annotations

from core_agent.types import Kind
from media.decode import decode
from models.sound.base import SoundDetector
from models.sound.plots import event_picture
from tasks.base import AudioIn
from workers.steps.base import Inputs, Output, OutputFile, Step


def run(detector: SoundDetector, a: AudioIn, given: Inputs) -> Output:
    """Which sounds occur and when: a list to read, the events as data, and a picture."""
    audio = decode(given.media["audio"].path)
    _, events = detector.events(audio)
    picture = event_picture(audio.samples, events, given.work / "sound-events.png")
    lines = [f"{e.start:.1f}–{e.end:.1f} s {e.label} ({e.score:.2f})" for e in events]
    text = "I heard:\n" + "\n".join(lines) if lines else "I couldn't make out any sound events."
    return Output(files=[OutputFile(picture, Kind.IMAGE, "sound events")], text=text,
                  data={"events": [e.as_dict() for e in events]})


STEP = Step(SoundDetector, AudioIn, run)
