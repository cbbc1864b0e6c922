"""Generate a sound: generate a sound effect or ambience from a text description."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import Asking, Command, GenerateArgs, TaskSpec, read_generation

SPEC = TaskSpec(
    id="text_to_audio", title="Generate a sound",
    description="Generate a sound effect or ambience from a text description.",
    args=GenerateArgs, inputs=(), outputs=(Kind.AUDIO,),
    command=Command("sound", "generate the sound of {text}",
                    "the sound, e.g. rain on a tin roof"),
    asking=Asking(
        examples=(
            "generate the sound of rain; make a sound effect of an explosion; create ambience "
            "of a forest at night; I need footsteps on gravel; produce a dog barking sound; "
            "sound of a busy street; make thunder noise; whoosh sound effect for my video; the "
            "noise of a train passing; birds singing in a forest at dawn; a howling blizzard; "
            "make a crackling campfire"),
        cue=(
            r"sound (effect|of)|\bsfx|ambien|noise of|soundscape|sounds? like|"
            r"\d\s*(s|sec|seconds?) (clip |sound |loop )?of\b|"
            r"(make|create|generate|produce|give me)\b(?! (it|this|that|them|my)\b).{0,40}"
            r"\b(sound|noise|sfx|ambience)s?\b"),
        offer="make that sound",
        read=read_generation))
