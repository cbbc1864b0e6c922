"""Find a sound: find when a described sound occurs in a recording (timestamps)."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import WHICH_SOUND, Asking, Command, QueryArgs, TaskSpec, read_query

SPEC = TaskSpec(
    id="target_sound_detection", title="Find a sound",
    description="Find when a described sound occurs in a recording (timestamps).",
    args=QueryArgs, inputs=(Kind.AUDIO,), outputs=(Kind.TEXT,),
    command=Command("find", "when does the {text} occur in this",
                    "the sound to find, e.g. a doorbell"),
    asking=Asking(
        examples=(
            "when does the doorbell ring in this; find the moments where a dog barks; at what "
            "time does the car horn sound; timestamps of the gunshot; locate every cough in the "
            "recording; when can you hear the baby cry; tell me when the alarm goes off; where "
            "in the clip does the glass break"),
        cue=(
            r"\bwhen (does|do|did|is|are|was|were)|at (what|which) (time|point)"
            r"|timestamps? (for|of)|every time|each time|whenever|how many (seconds|times)|"
            r"find (where|when|the (exact )?(moment|time))|where (in|does|do)|\bwhen\?"),
        offer="find when that sound happens",
        read=read_query,
        question=WHICH_SOUND))
