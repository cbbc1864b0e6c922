"""Real media made in the tests: espeak-ng and piper speech, ffmpeg conversions, WER."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from pathlib import Path

import jiwer
import numpy as np
import soundfile as sf

from media.audio import ASR_RATE
from media.decode import decode

CODECS = {
    ".ogg": ["-c:a", "libopus", "-b:a", "32k"],
    ".mp3": ["-c:a", "libmp3lame"],
    ".m4a": ["-c:a", "aac"],
    ".wav": ["-c:a", "pcm_s16le"],
    ".webm": ["-c:a", "libopus"],
}


# Everyday sentences that espeak-ng speaks and tiny.en hears reliably.
SENTENCES = [
    "please call stella and ask her to bring these things with her from the store",
    "the train to the city leaves every morning at eight",
    "we should paint the kitchen walls a lighter colour this summer",
    "my brother found an old map in the attic last weekend",
    "the meeting was moved to thursday because of the holiday",
    "she keeps a small garden with tomatoes and fresh herbs",
    "turn left at the bakery and walk two blocks to the river",
    "the children built a tall tower out of wooden blocks",
]


def espeak(text: str, path: Path, speed: int = 130, voice: str = "en-us") -> Path:
    """Speech from espeak-ng as WAV (a voice unlike piper's, so ASR is tested fairly),
    spoken a little slowly with gaps between words, as people talk into a phone."""
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-g", "4", "-w", str(path), text],
                   check=True, capture_output=True)
    return path


def convert(source: Path, target: Path) -> Path:
    """Re-encode with ffmpeg by the target's suffix; .mp4 gets a video track too."""
    if target.suffix == ".mp4":
        args = ["-f", "lavfi", "-i", "color=c=blue:s=160x120:r=10", "-i", str(source),
                "-shortest", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    else:
        args = ["-i", str(source), *CODECS[target.suffix]]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args, str(target)], check=True)
    return target


def voice_note(text: str, folder: Path, name: str = "note", suffix: str = ".ogg") -> Path:
    """A voice note as a phone would send it: espeak-ng speech, OGG/Opus by default."""
    wav = espeak(text, folder / f"{name}-speech.wav")
    return convert(wav, folder / f"{name}{suffix}")


def tone(path: Path, seconds: float, freq: float = 440.0, rate: int = 16_000,
         noise: float = 0.0, seed: int = 0) -> Path:
    """A sine tone, optionally with white noise, as WAV."""
    t = np.arange(int(seconds * rate)) / rate
    x = 0.3 * np.sin(2 * np.pi * freq * t)
    x += noise * np.random.default_rng(seed).standard_normal(len(t))
    sf.write(str(path), x.astype(np.float32), rate)
    return path


NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
           "ten", "eleven", "twelve"]


def _words(text: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                    if not unicodedata.combining(c))  # días -> dias, as espeak's speech allows
    words = re.sub(r"[^a-z0-9' ]", " ", plain).split()
    return " ".join(NUMBERS[int(w)] if w.isdigit() and int(w) < len(NUMBERS) else w
                    for w in words)


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after lower-casing, dropping accents and punctuation and spelling
    small numbers."""
    return float(jiwer.wer(_words(reference), _words(hypothesis) or "<empty>"))


def si_sdr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Scale-invariant signal-to-distortion ratio in dB."""
    reference, estimate = reference - reference.mean(), estimate - estimate.mean()
    target = np.dot(estimate, reference) / np.dot(reference, reference) * reference
    return float(10 * np.log10(np.sum(target ** 2) / np.sum((estimate - target) ** 2)))


def add_noise(source: Path, target: Path, amplitude: float = 0.02, seed: int = 1) -> Path:
    """Mix pink noise into a recording, as a noisy room would (the same noise every run)."""
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-f", "lavfi",
                    "-i", f"anoisesrc=a={amplitude}:c=pink:d=600:seed={seed}", "-filter_complex",
                    "amix=inputs=2:duration=first:normalize=0", str(target)], check=True)
    return target


def long_recording(folder: Path, minutes: float = 10.0, pause: float = 1.5
                   ) -> tuple[Path, str]:
    """SENTENCES spoken by espeak-ng over and over with pauses, as one OGG/Opus file of
    about `minutes`, and the text said."""
    spoken = [decode(espeak(s, folder / f"s{i}.wav"), ASR_RATE).samples
              for i, s in enumerate(SENTENCES)]
    gap = np.zeros(int(pause * ASR_RATE), np.float32)
    pieces, words, total, i = [], [], 0, 0
    while total < minutes * 60 * ASR_RATE:
        pieces += [spoken[i % len(spoken)], gap]
        words.append(SENTENCES[i % len(spoken)])
        total += len(spoken[i % len(spoken)]) + len(gap)
        i += 1
    wav = folder / "long.wav"
    sf.write(str(wav), np.concatenate(pieces), ASR_RATE)
    return convert(wav, folder / "long.ogg"), " ".join(words)
