"""Everyday audio editing with ffmpeg filters (embedded tier): trim, speed, pitch, volume,
fade, reverse, convert, loudness normalisation (EBU R128, two-pass loudnorm), joining
and mixing two recordings (the second ducked under the first), echo and reverb."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from core_agent.errors import MediaError, Unsupported
from media import ffmpeg
from media.audio import Audio, limit_peak
from media.decode import decode
from media.encode import ffmpeg_filter, write_wav
from media.probe import probe
from models.audio_edit.base import FileEditor

EDIT_RATE = 48_000  # Hz, what two-input edits and reverb work at
VOICE_LOUDNESS = -16.0  # LUFS: the level podcasts and voice notes aim for
TRUE_PEAK = -1.5  # dBTP ceiling for normalisation
BED_GAIN = -8.0  # dB: a mixed-in bed starts this far below its own level
DUCK = "threshold=0.03:ratio=8:attack=15:release=350:makeup=1"  # sidechaincompress options
REVERB_SECONDS = 1.2  # RT60 of the default room
REVERB_WET = 0.35  # share of reverberant sound in the mix
TWO_INPUTS = ("concat", "mix")

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


def loudness_stats(source: Path) -> dict[str, float]:
    """EBU R128 figures of a file (loudnorm's measuring pass): input_i (LUFS), input_tp,
    input_lra, input_thresh, target_offset."""
    _, said = ffmpeg.run(["ffmpeg", "-nostdin", "-hide_banner", *ffmpeg.input_args(source),
                          "-vn", "-af", f"loudnorm=I={VOICE_LOUDNESS}:TP={TRUE_PEAK}:"
                          "print_format=json", "-f", "null", "-"])
    found = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", said)
    if not found:
        raise MediaError("ffmpeg could not measure the loudness")
    stats = {k: float(v) for k, v in json.loads(found.group(0)).items()
             if k.startswith(("input_", "target_offset"))}
    if not np.isfinite(stats["input_i"]) or stats["input_i"] < -70:
        raise Unsupported("the recording is silent, so there is no loudness to set")
    return stats


def impulse_response(seconds: float, rate: int, seed: int = 7) -> np.ndarray:
    """A room's response: decaying noise reaching -60 dB after `seconds` (RT60), with
    early reflections thinned out for the first 20 ms."""
    n = int(seconds * rate * 1.2)
    t = np.arange(n) / rate
    rng = np.random.default_rng(seed)
    ir = rng.standard_normal(n) * 10 ** (-3 * t / seconds)
    early = t < 0.02
    ir[early] *= rng.random(int(early.sum())) < 0.05
    ir[0] = 0.0
    return ir / np.sqrt(np.sum(ir ** 2))


class FfmpegEdit(FileEditor):
    """Trim, speed, pitch, volume, fade, reverse, convert, normalise, join, mix, echo,
    reverb."""

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
        if operation in TWO_INPUTS:
            other = params.get("other")
            if not isinstance(other, Path):
                raise Unsupported(f"{operation} needs a second recording")
            return self._two(source, other, target, operation, params)
        if operation == "normalize":
            return self._normalize(source, target, params)
        if operation == "reverb":
            return self._reverb(source, target_dir, target, params)
        filters = self._filters(operation, info.duration or 0.0, info.sample_rate or 48000, params)
        return ffmpeg_filter(source, target, filters, CODEC[fmt])

    @staticmethod
    def _normalize(source: Path, target: Path, p: dict[str, object]) -> Path:
        """Two-pass loudnorm: measure, then apply one gain (linear) where the peak allows."""
        goal = p.get("loudness")
        level = float(goal) if isinstance(goal, int | float) else VOICE_LOUDNESS
        m = loudness_stats(source)
        second = (f"loudnorm=I={level}:TP={TRUE_PEAK}:LRA=20:measured_I={m['input_i']}:"
                  f"measured_TP={m['input_tp']}:measured_LRA={m['input_lra']}:"
                  f"measured_thresh={m['input_thresh']}:offset={m['target_offset']}:linear=true")
        fmt = target.suffix.lstrip(".")
        layout = "mono" if (probe(source).channels or 1) == 1 else "stereo"
        # loudnorm works at 192 kHz and may leave the channel layout unset: restate both.
        chain = [second, f"aresample={EDIT_RATE}", f"aformat=channel_layouts={layout}"]
        first = ffmpeg_filter(source, target.with_name("loudnorm.wav"), chain, CODEC["wav"])
        # Where the peak forbids one gain, loudnorm compresses and lands short of the
        # target: measure again and make up the rest, under a limiter at the same ceiling.
        rest = level - loudness_stats(first)["input_i"]
        limit = 10 ** (TRUE_PEAK / 20)
        return ffmpeg_filter(first, target, [f"volume={rest:.2f}dB",
                                             f"alimiter=limit={limit:.3f}:level=false"],
                             CODEC[fmt])

    @staticmethod
    def _two(first: Path, second: Path, target: Path, operation: str, p: dict[str, object]
             ) -> Path:
        """Join two recordings, or lay the second under the first, ducked while it sounds."""
        channels = max(probe(first).channels or 1, probe(second).channels or 1)
        layout = "stereo" if channels > 1 else "mono"
        fmt = f"aresample={EDIT_RATE},aformat=sample_fmts=fltp:channel_layouts={layout}"
        if operation == "concat":
            graph = f"[0:a]{fmt}[a];[1:a]{fmt}[b];[a][b]concat=n=2:v=0:a=1[out]"
            inputs = [*ffmpeg.input_args(first), *ffmpeg.input_args(second)]
        else:
            gain = p.get("gain_db")
            bed = float(gain) if isinstance(gain, int | float) else BED_GAIN
            graph = (f"[0:a]{fmt},asplit=2[voice][key];[1:a]{fmt},volume={bed}dB[bed];"
                     f"[bed][key]sidechaincompress={DUCK}[ducked];"
                     "[voice][ducked]amix=inputs=2:duration=first:normalize=0,"
                     "alimiter=limit=0.98[out]")
            inputs = [*ffmpeg.input_args(first), "-stream_loop", "-1",
                      *ffmpeg.input_args(second)]
        ffmpeg.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex",
                    graph, "-map", "[out]", *CODEC[target.suffix.lstrip(".")], str(target)])
        return target

    @staticmethod
    def _reverb(source: Path, work: Path, target: Path, p: dict[str, object]) -> Path:
        """Convolution with a synthetic room; the reverb tail is kept."""
        from scipy.signal import fftconvolve

        value = p.get("reverb_seconds")
        seconds = float(value) if isinstance(value, int | float) else REVERB_SECONDS
        audio = decode(source, EDIT_RATE, mono=False)
        dry = audio.samples if audio.samples.ndim == 2 else audio.samples[:, None]
        ir = impulse_response(seconds, EDIT_RATE)
        wet = np.stack([fftconvolve(dry[:, c], ir) for c in range(dry.shape[1])], axis=1)
        wet *= np.sqrt(np.sum(dry ** 2) / max(float(np.sum(wet ** 2)), 1e-12))
        mixed = wet * REVERB_WET
        mixed[:len(dry)] += dry * (1 - REVERB_WET)
        out = limit_peak(mixed[:, 0] if mixed.shape[1] == 1 else mixed)
        wav = write_wav(Audio(out, EDIT_RATE), work / "reverb-raw.wav")
        return ffmpeg_filter(wav, target, [], CODEC[target.suffix.lstrip(".")])

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
        if operation == "echo":
            return ["aecho=0.8:0.7:280|560:0.35|0.2"]
        if operation == "convert":
            return []
        raise Unsupported(f"unknown edit {operation!r}")
