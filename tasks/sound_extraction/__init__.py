"""Extract a sound: isolate the sound described in words from a mixture."""

from __future__ import annotations

from core_agent.types import Kind
from tasks.base import WHICH_SOUND, Asking, Command, QueryArgs, TaskSpec, read_query

SPEC = TaskSpec(
    id="sound_extraction", title="Extract a sound",
    description="Isolate the sound described in words from a mixture.",
    args=QueryArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("extract", "extract the {text} from this recording",
                    "the sound to keep, e.g. birdsong"),
    asking=Asking(
        examples=(
            "extract the bird sounds from this recording; isolate the vocals; pull the guitar "
            "out of the mix; keep only the drums; remove everything but the speech; get just "
            "the engine noise; give me only the piano; extract the sound of the rain"),
        cue=(
            r"extract|isolat|pull (out|\w+ out)|\bonly (the|want)|just (the|give)|"
            r"keep (only|just)|everything (but|except)|separate out|split out|\bout of (this|the)|"
            r"\b(just|only) hear|\bhear (just|only)"),
        offer="pull that sound out of it",
        read=read_query,
        question=WHICH_SOUND))
