"""Detect sounds: list which sound events occur in a recording and when."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec

SPEC = TaskSpec(
    id="sound_detection", title="Detect sounds",
    description="List which sound events occur in a recording and when.",
    args=AudioIn, inputs=(Kind.AUDIO,), outputs=(Kind.TEXT,),
    command=Command("detect", "what sounds can you detect in this"),
    asking=Asking(
        examples=(
            "what sounds can you detect in this; list the sound events in this recording; "
            "identify all the sounds and their times; tag the audio events; which noises occur "
            "in this clip; what kinds of sounds are in here; classify the sounds in this audio"),
        cue=(
            r"what (sounds|noises)|which (sounds|noises|sound events)|sound events?|"
            r"(detect|identify|tag|list|classify|label) (the |all )?(\w+ )*(sounds|noises|events)|"
            r"(list|all) of (the |all )?(the )?(sounds|noises)"),
        offer="list the sounds in it and when they happen"))
