"""Speak text: read text aloud as speech, with voice, speed, pitch and language controls."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import pitch, speed
from core_agent.planning.offline.extraction.words import language, spoken_text, unquoted, voice
from core_agent.types import Kind
from tasks.base import SAY_WHAT, Args, Asking, Command, TaskSpec, Voice


class TextToSpeechArgs(Args):
    text: str = Field(min_length=1, max_length=4000)
    voice: str | None = Field(None, description="Voice name; None is the default voice.")
    speed: float = Field(1.0, ge=0.25, le=4.0, description="1.0 normal, 0.8 slower, 1.25 faster.")
    pitch: float = Field(0.0, ge=-12, le=12, description="Pitch shift in semitones.")
    language: str = "en"


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    rest = unquoted(text)
    return {"text": spoken_text(text), "speed": speed(rest), "pitch": pitch(rest),
            "language": language(rest), "voice": voice(rest)}


SPEC = TaskSpec(
    id="text_to_speech", title="Speak text",
    description="Read text aloud as speech, with voice, speed, pitch and language controls.",
    args=TextToSpeechArgs, inputs=(), outputs=(Kind.AUDIO,),
    command=Command("speak", "read this aloud: {text}", "what to say"),
    asking=Asking(
        examples=(
            "read this text aloud; say hello to my friend; speak the following sentence; "
            "convert this text to speech; make a voice recording that says the shop is closed; "
            "pronounce this word; read my message out loud in a calm voice; generate speech "
            "saying good morning; announce that dinner is ready; voice over for this script"),
        cue=(
            r"\b(say|saying|speak|pronounce|announce)\b|read (this|it|that|out|aloud|"
            r"back|me|the)|\bread\s*[\"'“]|out loud|aloud|\btts\b|text.to.speech|"
            r"\b(words?|sentence|phrase|line)\s*[:\"'“]"),
        offer="say it aloud",
        read=read,
        question=SAY_WHAT),
    voice=Voice.SPEECH)
