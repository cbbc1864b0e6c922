"""Transcripts as subtitle files: SubRip (.srt) and WebVTT (.vtt), one cue per segment."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol


class Timed(Protocol):
    start: float
    end: float
    text: str


def timestamp(seconds: float, separator: str) -> str:
    """HH:MM:SS,mmm (SubRip) or HH:MM:SS.mmm (WebVTT)."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}{separator}{rest % 1000:03d}"


def write_subtitles(segments: Sequence[Timed], path: Path) -> Path:
    """The segments with text as cues, in the format the suffix names (.srt or .vtt)."""
    vtt = path.suffix == ".vtt"
    cues = [s for s in segments if s.text.strip()]
    lines = ["WEBVTT", ""] if vtt else []
    for number, cue in enumerate(cues, start=1):
        sep = "." if vtt else ","
        lines += [*([] if vtt else [str(number)]),
                  f"{timestamp(cue.start, sep)} --> {timestamp(max(cue.end, cue.start), sep)}",
                  cue.text.strip(), ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def clock(seconds: float) -> str:
    """M:SS, or H:MM:SS past an hour: a time in a transcript's lines."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
