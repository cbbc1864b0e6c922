"""Transcribe speech: transcribe the speech in an audio or video recording to text."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field

from core_agent.planning.offline.extraction.quantities import speakers
from core_agent.planning.offline.extraction.words import language, unquoted
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, TaskSpec


class SpeechRecognitionArgs(AudioIn):
    language: str | None = Field(None, description="ISO 639-1 code; None detects it.")
    word_timestamps: bool = False
    subtitles: Literal["srt", "vtt"] | None = Field(
        None, description="Also send the transcript as a subtitle file with timestamps.")
    speakers: bool = Field(
        False, description="Label who said what: the transcript in turns by speaker.")
    num_speakers: int | None = Field(
        None, ge=1, le=8, description="How many speakers there are, if known (with speakers).")


SUBTITLES = re.compile(r"subtitle|\bsrt\b|\bweb ?vtt\b|\bvtt\b")
BY_SPEAKER = (r"who said what|who (said|says|spoke|speaks|is speaking) (what|when)|"
              r"label\w* (the |each |every )?(speakers?|voices)|by speaker|"
              r"speaker (names|labels|turns)|(with|and) (the )?speakers?\b|which speaker|"
              r"who is talking when|who('s| is) (saying|talking)")


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    lowered = text.lower()
    stamps = re.search(r"word.?(level|timing|timestamp)|timings", lowered)
    subtitles = SUBTITLES.search(lowered)
    count = speakers(unquoted(text))
    labelled = count is not None or re.search(BY_SPEAKER, lowered) is not None
    return {"language": language(text), "word_timestamps": True if stamps else None,
            "subtitles": ("vtt" if "vtt" in lowered else "srt") if subtitles else None,
            "speakers": True if labelled else None, "num_speakers": count}


SPEC = TaskSpec(
    id="speech_recognition", title="Transcribe speech",
    description="Transcribe the speech in an audio or video recording to text.",
    args=SpeechRecognitionArgs, inputs=(Kind.AUDIO,), outputs=(Kind.TEXT,),
    pace=0.6,  # the slowest seen on 2 busy cores (an 18 s clip); bench/README.md
    command=Command("transcribe", "transcribe this"),
    asking=Asking(
        examples=(
            "transcribe this recording; what is being said in this audio; convert this voice "
            "note to text; write out the words spoken here; give me the transcript; type up "
            "what they are saying; I need the text of this speech; what does the speaker say; "
            "turn this voice memo into text; what are they talking about in this clip"),
        cue=(
            r"transcri|speech.(in)?to.text|subtitle|\bsrt\b|\bvtt\b|write (it |this )?down|dictat|"
            r"what(?:'s| is| was)? (?:being )?said|\btext (version|of)|type (it |this )?(up|out)|"
            r"(give me|get|send|want|need) (me )?(the|a) (text|words)\b|"
            r"\b(in|as|into) (text|writing)\b|"
            r"what(?:'s| (does|did|do|is|was|are|were)) (it|this|that|he|she|they|you|the \w+) "
            r"(say|saying)|" + BY_SPEAKER),
        offer="transcribe it",
        read=read))
