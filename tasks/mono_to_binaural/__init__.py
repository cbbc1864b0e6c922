"""Make binaural: turn mono audio into binaural (spatial, two-channel) audio for headphones."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import azimuth, distance_m, elevation
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec


class BinauralArgs(AudioIn):
    azimuth: float | None = Field(
        None, ge=-180, le=180,
        description="Degrees: 0 ahead, 90 right, -90 left, 180 behind; None circles the head.")
    elevation: float = Field(0.0, ge=-90, le=90, description="Degrees above the horizon.")
    distance: float = Field(1.0, ge=0.25, le=50, description="Metres from the listener.")


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    return {"azimuth": azimuth(unquoted(text)),
                                   "elevation": elevation(unquoted(text)),
                                   "distance": distance_m(unquoted(text))}


SPEC = TaskSpec(
    id="mono_to_binaural", title="Make binaural",
    description="Turn mono audio into binaural (spatial, two-channel) audio for headphones.",
    args=BinauralArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("binaural", "convert this to binaural audio"),
    asking=Asking(
        examples=(
            "convert this to binaural audio; make it sound 3d on headphones; spatial audio "
            "version; turn mono into immersive stereo for headphones; make the sound move "
            "around my head; 8d audio effect; place the sound to my right; give it a surround "
            "feel"),
        cue=(
            r"binaural|\b[38]d\b|spatial|surround|immersive|headphones?|"
            r"(from|on|to) (my|the) (left|right)|around (my|your) head|behind (me|you)|"
            r"in front of"),
        offer="make it binaural (3D on headphones)",
        read=read))
