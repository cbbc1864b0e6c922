"""Separate speakers: split a recording of several people talking into one track per speaker."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import speakers
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, Ref, TaskSpec


class SeparationArgs(AudioIn):
    speakers: int | None = Field(None, ge=2, le=8)
    reference: str | None = Ref(
        "Handle of a clip of only the wanted speaker: keeps that voice and drops the rest.",
        default=None)


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    return {"speakers": speakers(unquoted(text))}


SPEC = TaskSpec(
    id="speech_separation", title="Separate speakers",
    description="Split a recording of several people talking into one track per speaker.",
    args=SeparationArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("separate", "separate the voices in this recording"),
    asking=Asking(
        examples=(
            "separate the voices in this recording; split the conversation into one file per "
            "speaker; isolate each person talking; two people are talking at once, separate "
            "them; give me separate tracks for each speaker; untangle the overlapping speech; "
            "break this dialogue into individual voices; keep only the voice of the person in "
            "the reference clip; pull this speaker out of the group recording using the sample; "
            "remove the other talkers and leave just the voice from the example clip"),
        cue=(
            r"separat\w* (the |all |these )?(\w+ )?(speakers?|voices|people|"
            r"persons|talkers)|split\b.*\b(speakers?|voices|people|person|them|host|guest)|"
            r"pull apart|untangle|(each|every|per) (speaker|person|voice)|own track|"
            r"(separate|individual) (tracks|files|voices)|overlapping|over each other|diariz|"
            r"(voice|speaker|person) (from|in|of|on) a\d|\breferenc|target (speaker|voice)|"
            r"(keep|only|just) (only |just )?(the |my |his |her |their |this |that )?"
            r"(person'?s? |speaker'?s? |guy'?s? |woman'?s? |man'?s? )?voice\b|\bvoice out of|"
            r"(speaker|person|voice|one) (who|that) sounds? like|(everyone|everybody) else|"
            r"other (people|voices|speakers|talkers)"),
        offer="split it into one track per speaker",
        read=read))
