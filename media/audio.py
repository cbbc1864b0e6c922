"""Sound as samples: the one in-memory type every model takes and returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ASR_RATE = 16_000  # Hz, what Whisper and most speech models take


@dataclass(frozen=True)
class Audio:
    """Samples as float32 in [-1, 1], shape (frames,) for mono or (frames, channels)."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        """1 for mono."""
        return 1 if self.samples.ndim == 1 else int(self.samples.shape[1])

    @property
    def mono(self) -> np.ndarray:
        """The samples as one channel (the mean of all channels)."""
        return self.samples if self.samples.ndim == 1 else self.samples.mean(axis=1)


def resample(audio: Audio, rate: int) -> np.ndarray:
    """Mono float32 at `rate`."""
    x = audio.mono.astype(np.float32)
    if audio.sample_rate != rate:
        from scipy import signal

        g = np.gcd(audio.sample_rate, rate)
        x = signal.resample_poly(x, rate // g, audio.sample_rate // g).astype(np.float32)
    return x


def to_16k(audio: Audio) -> np.ndarray:
    """Mono float32 at 16 kHz, what the speech and tagging models take."""
    return resample(audio, ASR_RATE)


def limit_peak(samples: np.ndarray, ceiling: float = 0.99) -> np.ndarray:
    """Scale down to the ceiling if any sample exceeds it; quieter sound is left as it is."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return (samples / peak * ceiling if peak > ceiling else samples).astype(np.float32)
