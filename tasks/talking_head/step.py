"""How a worker runs talking_head."""

from __future__ import annotations

from core_agent.types import Artifact, Kind
from media.decode import decode
from media.encode import write_wav
from models.talking_head.base import TalkingHead
from models.talking_head.faces import portrait_of
from tasks.talking_head import TalkingHeadArgs
from workers.steps.base import Inputs, Output, OutputFile, Step


def run(head: TalkingHead, a: TalkingHeadArgs, given: Inputs) -> Output:
    """The portrait (or the default face) speaking the audio, as an MP4."""
    audio = decode(given.media["audio"].path, 48_000)
    sound = write_wav(audio, given.work / "speech.wav")
    picture = given.media["image"].path if "image" in given.media else None
    video = head.render(picture, audio, sound, given.work / "talking.mp4")
    name = "talking head" if a.image else "talking head (default face)"
    return Output(files=[OutputFile(video, Kind.VIDEO, name)])


def preflight(a: TalkingHeadArgs, media: dict[str, Artifact]) -> None:
    """A portrait without a face is refused before anything is made for it (the speech a
    plan would synthesise first)."""
    if (picture := media.get("image")) is not None and picture.kind == Kind.IMAGE:
        portrait_of(picture.path)


STEP = Step(TalkingHead, TalkingHeadArgs, run, preflight)
