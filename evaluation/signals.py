"""Inputs the evaluation makes for itself, and the measures it scores outputs with."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from media.audio import Audio

NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
           "ten", "eleven", "twelve"]
ALIGN_SECONDS = 0.05  # the most a codec or a filter may shift an output against its input


def words(text: str) -> list[str]:
    """Lower-cased words without punctuation, small numbers spelled out."""
    found = re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()
    return [NUMBERS[int(w)] if w.isdigit() and int(w) < len(NUMBERS) else w for w in found]


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference's length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(len(ref), 1)


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB."""
    reference = reference.astype(np.float64) - reference.mean()
    estimate = estimate.astype(np.float64) - estimate.mean()
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    return float(10 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2)))


def snr_db(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Plain signal-to-noise ratio of an estimate in dB (silence scores 0 dB)."""
    return float(10 * np.log10(np.sum(reference ** 2) / np.sum((reference - estimate) ** 2)))


def aligned(reference: np.ndarray, output: np.ndarray, rate: int) -> np.ndarray:
    """The output shifted onto the reference (best lag within ±50 ms), cut to its length."""
    n = len(reference)
    out = np.pad(output, (0, max(0, n - len(output))))[:n]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    cc = np.fft.irfft(np.fft.rfft(out, size) * np.conj(np.fft.rfft(reference, size)), size)
    m = int(ALIGN_SECONDS * rate)
    lag = int(np.argmax(np.concatenate([cc[-m:], cc[:m + 1]]))) - m
    return np.roll(out, -lag)


def espeak(text: str, path: Path, voice: str = "en-us", speed: int = 140, pitch: int = 50
           ) -> Path:
    """Speech from espeak-ng as WAV."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w",
                    str(path), text], check=True, capture_output=True, timeout=60)
    return path


def to_ogg(source: Path, target: Path) -> Path:
    """A voice note as a phone sends it: OGG/Opus."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-c:a",
                    "libopus", "-b:a", "32k", str(target)], check=True, timeout=60)
    return target


def write(samples: np.ndarray, rate: int, path: Path) -> Path:
    """Samples as a 16-bit WAV file."""
    sf.write(str(path), np.clip(samples, -1, 1).astype(np.float32), rate, subtype="PCM_16")
    return path


def resampled(audio: Audio, rate: int) -> np.ndarray:
    """An Audio's samples at another rate."""
    if audio.sample_rate == rate:
        return audio.samples.astype(np.float64)
    return resample_poly(audio.samples, rate, audio.sample_rate).astype(np.float64)


def siren(seconds: float, rate: int) -> np.ndarray:
    """A wailing siren: a harmonic tone sweeping 600–1400 Hz."""
    t = np.arange(int(seconds * rate)) / rate
    phase = 2 * np.pi * np.cumsum(1000 + 400 * np.sin(2 * np.pi * 0.3 * t)) / rate
    return np.asarray(0.2 * np.sum([np.sin(k * phase) / k for k in range(1, 7)], axis=0))


@dataclass
class Scene:
    """A street-like clip and where each of its sounds really is (seconds)."""

    samples: np.ndarray
    rate: int
    truth: dict[str, tuple[float, float]]
    parts: dict[str, np.ndarray]


def scene(speech: Audio, rate: int, bed_db: float | None = None) -> Scene:
    """10 s: a siren at 1.0–3.5 s, speech from 4.5 s, a white-noise burst at 8.0–9.5 s;
    with `bed_db`, steady noise that far below the siren throughout."""
    n = 10 * rate
    voice = resampled(speech, rate)[: int(3.3 * rate)]
    parts = {name: np.zeros(n) for name in ("siren", "speech", "noise")}
    parts["siren"][rate:rate + int(2.5 * rate)] = siren(2.5, rate)
    start = int(4.5 * rate)
    parts["speech"][start:start + len(voice)] = voice
    burst = 0.1 * np.random.default_rng(1).standard_normal(int(1.5 * rate))
    parts["noise"][8 * rate:8 * rate + len(burst)] = burst
    loud = np.flatnonzero(np.abs(voice) > np.abs(voice).max() * 0.01)
    truth = {"siren": (1.0, 3.5), "speech": (4.5 + loud[0] / rate, 4.5 + (loud[-1] + 1) / rate),
             "noise": (8.0, 9.5)}
    if bed_db is not None:
        bed = np.random.default_rng(2).standard_normal(n)
        parts["bed"] = bed * np.sqrt(np.mean(siren(2.5, rate) ** 2)) * 10 ** (bed_db / 20)
    return Scene(np.sum(list(parts.values()), axis=0), rate, truth, parts)


def itd_seconds(stereo: np.ndarray, rate: int) -> float:
    """How much the left ear lags the right, by GCC-PHAT within ±1 ms."""
    left, right = stereo[:, 0], stereo[:, 1]
    n = 2 * len(left)
    cross = np.fft.rfft(left, n) * np.conj(np.fft.rfft(right, n))
    cc = np.fft.irfft(cross / (np.abs(cross) + 1e-12), n)
    m = int(0.001 * rate)
    return float(np.argmax(np.concatenate([cc[-m:], cc[:m + 1]])) - m) / rate


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """The strongest frequency."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))
