"""Describe audio: write a caption describing what can be heard in a recording."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec

SPEC = TaskSpec(
    id="audio_to_text", title="Describe audio",
    description="Write a caption describing what can be heard in a recording.",
    args=AudioIn, inputs=(Kind.AUDIO,), outputs=(Kind.TEXT,),
    command=Command("describe", "describe what can be heard in this recording"),
    asking=Asking(
        examples=(
            "describe what you hear in this audio; caption this recording; what is this sound; "
            "what is happening in this audio clip; write a description of the sound; tell me "
            "what this noise is; summarize what this recording sounds like; what can you hear "
            "in this file"),
        cue=(
            r"describ|caption|what('s| is) (this|that) (sound|noise)|"
            r"what am i hearing|what (is|'s) (going on|happening) in|what (do|can) (i|you) hear|"
            r"what (sound|noise) is|tell what this|explain what"),
        offer="describe the sounds in it"))
