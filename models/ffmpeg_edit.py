"""Everyday audio editing with ffmpeg filters (embedded tier)."""

from __future__ import annotations

from pathlib import Path

from models.audio import ffmpeg_filter, probe
from models.base import FileEditor
from models.errors import Unsupported

CODEC = {"ogg": ["-c:a", "libopus", "-b:a", "96k"], "mp3": ["-c:a", "libmp3lame", "-q:a", "2"],
         "wav": ["-c:a", "pcm_s16le"], "flac": ["-c:a", "flac"], "m4a": ["-c:a", "aac"]}


def tempo_chain(factor: float) -> list[str]:
    """atempo takes 0.5..2 per stage; chain stages for larger changes."""
    stages = []
    while factor > 2.0:
        stages.append("atempo=2.0")
        factor /= 2.0
    while factor < 0.5:
        stages.append("atempo=0.5")
        factor /= 0.5
    return [*stages, f"atempo={factor:.6f}"]


def pitch_chain(semitones: float, sample_rate: int) -> list[str]:
    """Shift pitch, keeping duration: resample up or down, then restore the tempo."""
    ratio = 2 ** (semitones / 12)
    return [f"asetrate={round(sample_rate * ratio)}", f"aresample={sample_rate}",
            *tempo_chain(1 / ratio)]


class FfmpegEdit(FileEditor):
    """Trim, speed, pitch, volume, fade, reverse and convert."""

    name = "ffmpeg-edit"
    task = "audio_edit"
    model = "ffmpeg filters"
    license = "LGPL-2.1+ (ffmpeg)"

    def load(self) -> None:
        """Nothing to load."""

    def edit(self, source: Path, target_dir: Path, operation: str, **params: object) -> Path:
        fmt = str(params.get("format") or "ogg")
        target = target_dir / f"{operation}.{fmt}"
        info = probe(source)
        filters = self._filters(operation, info.duration or 0.0, info.sample_rate or 48000, params)
        return ffmpeg_filter(source, target, filters, CODEC[fmt])

    @staticmethod
    def _filters(operation: str, duration: float, rate: int, p: dict[str, object]) -> list[str]:
        def num(key: str, default: float) -> float:
            value = p.get(key)
            return float(value) if isinstance(value, int | float) else default

        if operation == "trim":
            start, end = num("start", 0.0), num("end", duration)
            if end <= start:
                raise Unsupported(f"trim needs end after start (got {start} s to {end} s)")
            return [f"atrim=start={start}:end={end}", "asetpts=N/SR/TB"]
        if operation == "speed":
            return tempo_chain(num("factor", 1.0))
        if operation == "pitch":
            return pitch_chain(num("semitones", 0.0), rate)
        if operation == "volume":
            return [f"volume={num('gain_db', 0.0)}dB", "alimiter=limit=0.98"]
        if operation == "fade":
            seconds = min(num("fade_seconds", 1.0), duration / 2 or 1.0)
            out_at = max(0.0, duration - seconds)
            return [f"afade=t=in:d={seconds}", f"afade=t=out:st={out_at}:d={seconds}"]
        if operation == "reverse":
            return ["areverse"]
        if operation == "convert":
            return []
        raise Unsupported(f"unknown edit {operation!r}")

