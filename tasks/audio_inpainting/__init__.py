"""Fill a gap: fill in a missing or damaged region of audio between two times."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import moment, time_range
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, Question, TaskSpec

AROUND = 0.5  # seconds either side of a glitch named by one time ("the dropout at 0:12")


class InpaintingArgs(AudioIn):
    start: float = Field(ge=0, description="Gap start in seconds.")
    end: float = Field(gt=0, description="Gap end in seconds.")


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    text = unquoted(text)
    if span := time_range(text):
        return {"start": span[0], "end": span[1]}
    at = moment(text)
    return {} if at is None else {"start": max(0.0, at - AROUND), "end": at + AROUND}


SPEC = TaskSpec(
    id="audio_inpainting", title="Fill a gap",
    description="Fill in a missing or damaged region of audio between two times.",
    args=InpaintingArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("inpaint", "fill in the gap {text}",
                    "where the gap is, e.g. between 2 and 3 seconds"),
    asking=Asking(
        examples=(
            "fill in the missing part of the audio; repair the gap in this recording; fix the "
            "dropout between 3 and 4 seconds; restore the damaged section; patch the silence in "
            "the middle; reconstruct the lost audio; the sound cuts out for a moment, fill it; "
            "fix the glitch at 5 seconds"),
        cue=(
            r"inpaint|\bgap|drop.?out|missing|repair|patch|glitch|damaged|restore|"
            r"reconstruct|fill (it |the |this )?in|cuts? out|\bskip|smooth (it |this )?over|"
            r"silence"),
        offer="fill in the gap",
        read=read,
        question=Question(
            "Which part should I fill in? Give me the times, e.g. \"from 1.5 s to 2 s\".")))
