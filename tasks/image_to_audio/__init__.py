"""Sound for an image: generate a sound that matches a picture."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import duration
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Args, Asking, Command, Ref, TaskSpec


class ImageToAudioArgs(Args):
    image: str = Ref()
    duration: float = Field(5.0, gt=0, le=60)


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    return {"duration": duration(unquoted(text))}


SPEC = TaskSpec(
    id="image_to_audio", title="Sound for an image",
    description="Generate a sound that matches a picture.",
    args=ImageToAudioArgs, inputs=(Kind.IMAGE,), outputs=(Kind.AUDIO,),
    command=Command("picture-sound", "make a sound that matches this picture"),
    asking=Asking(
        examples=(
            "generate a sound for this picture; what would this image sound like; make audio "
            "that fits this photo; create a soundscape from this image; turn the picture into "
            "sound; give this photo matching ambient sound"),
        cue=(
            r"\b(photo|picture|pic|image|painting|drawing|scene)\b"),
        offer="make a sound for the picture",
        read=read))
