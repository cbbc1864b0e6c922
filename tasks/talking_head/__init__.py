"""Talking head video: make a video of a face speaking the given audio."""

from __future__ import annotations

import re

from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, Ref, TaskSpec

# "with your own face", "use your face", "the default face": no picture, even if one was sent.
DEFAULT_FACE = re.compile(r"\b(your (own )?face|default face|without (a|the) (picture|photo))")


def wants_default_face(text: str) -> bool:
    """Whether the request asks for the bot's own face rather than a picture."""
    return DEFAULT_FACE.search(text.lower()) is not None


class TalkingHeadArgs(AudioIn):
    image: str | None = Ref("Handle of the portrait; None uses the default face.", default=None)


SPEC = TaskSpec(
    id="talking_head", title="Talking head video",
    description="Make a video of a face speaking the given audio.",
    args=TalkingHeadArgs, inputs=(Kind.AUDIO, Kind.IMAGE), outputs=(Kind.VIDEO,),
    pace=1.0,  # the OpenCV face took 0.4-0.8 s per second of speech on 2 cores; bench/README.md
    command=Command("animate", "make a talking head video of this"),
    asking=Asking(
        examples=(
            "make a talking head video; animate this face to speak the audio; lip sync the "
            "portrait to my voice; create a video of this person talking; make the picture "
            "speak this recording; turn this audio into a video of a speaking face; talking "
            "avatar; make this photo talk"),
        cue=(
            r"talking.?(head|avatar)|lip.?sync|\banimate|avatar|"
            r"(face|photo|picture|portrait|selfie|pic|image)\b.*\b(talk|speak|say)"),
        offer="make a talking-head video"))
