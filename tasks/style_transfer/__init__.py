"""Speak in a given voice: speak text in the voice and style of a reference recording."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.words import spoken_text
from core_agent.types import Kind
from tasks.base import SAY_WHAT, Args, Asking, Command, Ref, TaskSpec, Voice


class StyleTransferArgs(Args):
    text: str = Field(min_length=1, max_length=4000)
    reference: str = Ref("Handle of the recording whose voice to imitate.")
    seed: int | None = None


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    return {"text": spoken_text(text)}


SPEC = TaskSpec(
    id="style_transfer", title="Speak in a given voice",
    description="Speak text in the voice and style of a reference recording.",
    args=StyleTransferArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("mimic", "say this in the voice from the recording: {text}",
                    "what the voice should say"),
    asking=Asking(
        examples=(
            "say this sentence in the voice from the recording; clone this voice and read my "
            "text; make it sound like me saying hello; imitate the speaker in this clip; use my "
            "voice to say happy new year; speak this text with the same voice as the sample; "
            "mimic this person's voice; have this voice say something new"),
        cue=(
            r"\b(my|this|that|his|her|same|their) voice\b.*\b(say|read|speak)|"
            r"\b(say|read|speak)\b.*\b(my|this|that|his|her|same|their) voice|clone|imitat|mimic|"
            r"\bvoice (in|from|of) (this|that|the|my)|"
            r"\b(this|that|the same) (person|guy|girl|man|woman|speaker)\b.*\b(say|read|speak)|"
            r"sound like (me|him|her|them|the (guy|girl|man|woman|person|speaker))"),
        offer="say it in that voice",
        read=read,
        question=SAY_WHAT),
    voice=Voice.SPEECH)
