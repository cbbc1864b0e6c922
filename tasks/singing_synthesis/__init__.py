"""Sing: sing lyrics, optionally to given notes and durations or a known melody."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from core_agent.planning.offline.extraction.music import lyrics, melody, note_durations, notes
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Args, Asking, Command, Question, Ref, TaskSpec, Voice


class SingingArgs(Args):
    lyrics: str | None = Field(None, description="The words; a score's own words if empty.")
    notes: str | None = Field(None, description="Note names, e.g. 'C4 D4 E4'.")
    durations: str | None = Field(None, description="Beats per note, e.g. '0.5 0.5 1'.")
    melody: str | None = Field(None, description="A known tune, e.g. 'happy birthday'.")
    recipient: str | None = Field(None, description="Who the song is for: their name goes "
                                  "into the tune's words ('happy birthday dear Anna').")
    tempo: float | None = Field(None, ge=30, le=240, description="Beats per minute.")
    score: str | None = Ref("Handle of a MIDI or MusicXML file to sing from.", default=None)


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    rest = unquoted(text)
    return {"lyrics": lyrics(text) or melody(text), "notes": notes(rest),
            "durations": note_durations(rest), "melody": melody(rest)}


SPEC = TaskSpec(
    id="singing_synthesis", title="Sing",
    description="Sing lyrics, optionally to given notes and durations or a known melody.",
    args=SingingArgs, inputs=(Kind.FILE,), outputs=(Kind.AUDIO,),
    command=Command("sing", "sing {text}", "the lyrics"),
    asking=Asking(
        examples=(
            "sing these words; sing happy birthday to me; sing a song with these lyrics; sing "
            "this melody with notes; can you sing for me; make a singing voice sing my lyrics; "
            "sing the phrase good morning sunshine"),
        cue=(
            r"\bsing\b|\bsung\b|\bsinging (voice|version)|lyrics|\b[a-g][#b]?\d\s+[a-g][#b]?\d\b"),
        offer="sing it",
        read=read,
        question=Question(
            "What should I sing? Put the lyrics in quotes, e.g. sing \"la la la\".")),
    voice=Voice.SINGING)
