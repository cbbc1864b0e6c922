"""Generate music: compose a piece of music from a text description."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import Asking, Command, GenerateArgs, TaskSpec, read_generation

SPEC = TaskSpec(
    id="text_to_music", title="Generate music",
    description="Compose a piece of music from a text description.",
    args=GenerateArgs, inputs=(), outputs=(Kind.AUDIO,),
    command=Command("music", "compose music: {text}", "the music, e.g. calm piano at dawn"),
    asking=Asking(
        examples=(
            "compose a piece of music; generate a relaxing piano track; make an upbeat pop "
            "beat; create background music for a video; I want a lofi hip hop loop; write a "
            "short jazz tune; generate a techno track; music for meditation"),
        cue=(
            r"music|\bsong|\btune\b|\bbeats?\b|\btrack\b|melody|compose|jingle|"
            r"instrumental|lo-?fi|piano|guitar|jazz|techno|orchestra|\bedm\b|hip.?hop|groove|riff|"
            r"\bloop\b|synth|\brock\b|\bpop\b|\brap\b|drums?\b|\bbass\b|violin|cello|ukulele|sax|"
            r"lullaby|anthem|ballad|symphony|soundtrack"),
        offer="make music",
        read=read_generation))
