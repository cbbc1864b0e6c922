"""Edit audio: trim, change speed or pitch, change volume, normalise loudness, fade, reverse,
add echo or reverb, join or mix two recordings, or convert audio."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from core_agent.planning.offline.extraction.edits import edit_args
from core_agent.planning.offline.extraction.words import unquoted
from core_agent.types import Kind
from tasks.base import Asking, AudioIn, Command, Question, Ref, TaskSpec


class AudioEditArgs(AudioIn):
    operation: Literal["trim", "speed", "pitch", "volume", "fade", "reverse", "convert",
                       "normalize", "concat", "mix", "echo", "reverb"]
    start: float | None = Field(None, ge=0, description="Seconds (trim).")
    end: float | None = Field(None, gt=0, description="Seconds (trim).")
    factor: float | None = Field(None, gt=0.25, le=4.0, description="Speed factor (speed).")
    semitones: float | None = Field(None, ge=-12, le=12, description="(pitch)")
    gain_db: float | None = Field(None, ge=-40, le=40, description="(volume)")
    fade_seconds: float | None = Field(None, gt=0, le=30, description="(fade)")
    format: Literal["ogg", "mp3", "wav", "flac", "m4a"] | None = None
    other: str | None = Ref("Second recording: concat plays it after the first, mix lays it "
                            "under the first (ducked while the first sounds).", default=None)
    loudness: float | None = Field(None, ge=-40, le=-5,
                                   description="Target LUFS (normalize): -16 voice, -23 EBU R128.")
    reverb_seconds: float | None = Field(None, gt=0, le=10, description="RT60 (reverb).")


    def describe(self) -> str:
        """The edit in words, the label of what it makes: "slower (×0.8)", "pitch +3
        semitones", "trimmed to 0.5–1.25 s", "mixed with a2"."""
        op = self.operation
        if op == "speed" and self.factor:
            return f"{'slower' if self.factor < 1 else 'faster'} (×{self.factor:g})"
        if op == "pitch" and self.semitones is not None:
            return f"pitch {self.semitones:+g} semitones"
        if op == "volume" and self.gain_db is not None:
            return f"{'louder' if self.gain_db > 0 else 'quieter'} ({self.gain_db:+g} dB)"
        if op == "trim":
            if self.end is None:
                return f"trimmed from {self.start or 0:g} s"
            return f"trimmed to {self.start or 0:g}–{self.end:g} s"
        if op == "normalize":
            return f"loudness {self.loudness:g} LUFS" if self.loudness else "loudness normalised"
        if op in ("mix", "concat") and self.other:
            return f"{'mixed with' if op == 'mix' else 'joined with'} {self.other}"
        if op == "convert" and self.format:
            return f"converted to {self.format.upper()}"
        if op == "reverb" and self.reverb_seconds:
            return f"reverb ({self.reverb_seconds:g} s)"
        return {"fade": "faded", "reverse": "reversed", "echo": "with echo"}.get(op, op)


def read(text: str) -> dict[str, Any]:
    """The arguments read from the request."""
    return edit_args(unquoted(text)) or {}


SPEC = TaskSpec(
    id="audio_edit", title="Edit audio",
    description="Trim, change speed or pitch, change volume, normalise loudness, fade, reverse, "
                "add echo or reverb, join or mix two recordings, or convert audio.",
    args=AudioEditArgs, inputs=(Kind.AUDIO,), outputs=(Kind.AUDIO,),
    command=Command("edit", "{text}", "the edit, e.g. trim to the first 5 seconds"),
    asking=Asking(
        examples=(
            "trim the audio; cut the first two seconds; make it louder; turn the volume down; "
            "speed it up; slow this down; change the pitch; reverse the audio; add a fade out "
            "at the end; convert this file to mp3; export as wav; shorten this clip; make the "
            "voice deeper; normalise the loudness; add reverb to my voice; lay this music under "
            "the speech; join the two recordings into one; add an echo effect"),
        cue=(
            r"\btrim|\bcut\b|\bcrop|shorten|louder|quieter|as (loud|quiet|soft)\b|volume|speed|"
            r"slow (it |this )?down|faster|slower|\bpitch|revers|backwards|\bfade|convert|"
            r"\b(mp3|wav|ogg|flac|m4a)\b|\bdb\b|boost|deeper|twice as fast|half speed|"
            r"turn (it |this )?(up|down)|"
            r"normali[sz]|\blufs\b|r ?128|reverb|\b(add|more|with|put)\b.{0,15}\becho|\bmix\b|"
            r"\b(under|underneath|beneath) (my|the|this) (voice|speech|talking|recording)|"
            r"\b(join|concat\w*|append|stitch)\b|back to back|one after (the )?other"),
        offer="edit the audio",
        read=read,
        question=Question(
            "What should I change? I can trim, change the speed, pitch or volume, fade, reverse "
            "or convert it.",
            "operation")))
