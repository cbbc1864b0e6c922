"""The audio_edit operation a request names, with its parameters."""

from __future__ import annotations

import re
from typing import Any

from core_agent.planning.offline.extraction.quantities import (
    NUM,
    SECONDS,
    clamp,
    gain_db,
    pitch,
    speed,
    time_range,
)

FORMATS = ("ogg", "mp3", "wav", "flac", "m4a")


def audio_format(text: str) -> str | None:
    """A target file format named in the request."""
    m = re.search(r"\b(" + "|".join(FORMATS) + r")\b", text.lower())
    return m.group(1) if m else None


def trim_range(text: str) -> tuple[float | None, float | None] | None:
    """Trim bounds: a time range, "the first 5 seconds" (keep), "off the first 3 s" (cut)."""
    t = text.lower()
    if span := time_range(t):
        return span
    m = re.search(rf"\bfirst ({NUM})\s*{SECONDS}?", t)
    if not m:
        return None
    n = float(m.group(1))
    keep = re.search(r"\b(to|keep|only|just)\s+(the\s+)?first\b|\bfirst .* only\b", t)
    return (0.0, n) if keep else (n, None)


EDIT_OPERATIONS: list[tuple[str, str]] = [
    ("normalize", r"normali[sz]|\blufs\b|r ?128|loudness (?:level|standard)|even (?:out )?the "
                  r"(?:volume|level|loudness)|same loudness"),
    ("mix", r"\bmix|\b(?:under|underneath|beneath|behind) (?:my|the|this|that|a\d)\b|"
            r"\bover (?:the|this|that) (?:music|rain|sound|track|background)|as (?:a )?background"),
    ("concat", r"\bjoin|\bconcat|\bappend|\bstitch|\bcombine|\bglue|back to back|"
               r"one after (?:the )?other|\bafter the (?:first|other)"),
    ("reverb", r"reverb|cathedral|\bhall\b|big room|\bchurch"),
    ("echo", r"\becho"),
    ("reverse", r"revers|backwards?\b"),
    ("convert", r"\bconvert|\b(" + "|".join(FORMATS) + r")\b"),
    ("fade", r"\bfade"),
    ("trim", r"\btrim|\bcut|\bcrop|\bshorten|\bchop|\bfirst \d"),
    ("speed", r"speed|faster|slower|slow (it |this )?down|\d\s*x\b|twice as fast|half"),
    ("pitch", r"pitch|semitone|octave|deeper|higher|chipmunk|squeak"),
    ("volume", r"loud|quiet|volume|\bdb\b|boost|amplif|soft|turn (it |this )?(up|down)"),
]


def target_loudness(text: str) -> float | None:
    """A loudness target in LUFS: "-23 LUFS", "broadcast"/"EBU R128" -23, else None."""
    if m := re.search(rf"(-?{NUM})\s*(?:lufs|lu\b|dbfs|db)", text):
        return clamp(-abs(float(m.group(1))), -40.0, -5.0)
    return -23.0 if re.search(r"r ?128|broadcast|\bebu\b", text) else None


def edit_args(text: str) -> dict[str, Any] | None:
    """An audio_edit operation with its parameters, or None when no edit is named."""
    t = text.lower()
    operation = next((op for op, pattern in EDIT_OPERATIONS if re.search(pattern, t)), None)
    args: dict[str, Any] = {"operation": operation}
    if operation == "convert":
        args["format"] = audio_format(t)
    elif operation == "fade":
        m = re.search(rf"({NUM})\s*-?\s*{SECONDS}", t)
        args["fade_seconds"] = clamp(float(m.group(1)), 0.1, 30.0) if m else None
    elif operation == "trim" and (bounds := trim_range(t)):
        args["start"], args["end"] = bounds
    elif operation == "speed":
        args["factor"] = speed(t)
    elif operation == "pitch":
        args["semitones"] = pitch(t)
    elif operation == "volume":
        args["gain_db"] = gain_db(t)
    elif operation == "normalize":
        args["loudness"] = target_loudness(t)
    elif operation == "reverb" and (m := re.search(rf"({NUM})\s*-?\s*{SECONDS}", t)):
        args["reverb_seconds"] = clamp(float(m.group(1)), 0.1, 10.0)
    return {k: v for k, v in args.items() if v is not None} if operation else None
