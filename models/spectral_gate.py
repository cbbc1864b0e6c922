"""Speech enhancement by spectral gating (embedded tier, pure signal processing).

The noise floor is estimated per frequency from the quietest frames; bins below
floor + margin are attenuated, with a mask smoothed over time and frequency so the
result does not warble ("musical noise").
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, signal

from models.audio import Audio
from models.base import AudioProcessor

FRAME = 1024  # samples per STFT frame
NOISE_PERCENTILE = 15  # quietest share of frames taken as noise
MARGIN_STD = 1.5  # how far above the noise mean a bin must rise to pass
FLOOR_GAIN = 0.08  # attenuation of gated bins (about -22 dB)
SMOOTH = (3, 5)  # mask smoothing in (frequency bins, frames)


class SpectralGate(AudioProcessor):
    """Stationary-noise reduction that keeps speech intact."""

    name = "spectral-gate"
    task = "speech_enhancement"
    model = "Spectral gating (signal processing)"
    license = "Apache-2.0 (this project)"
    requires = ("scipy",)

    def load(self) -> None:
        """Nothing to load."""

    def process(self, audio: Audio) -> list[Audio]:
        x = audio.samples if audio.samples.ndim == 1 else audio.samples.mean(axis=1)
        _, _, spec = signal.stft(x, nperseg=FRAME, noverlap=FRAME * 3 // 4)
        magnitude = np.abs(spec)
        energy = magnitude.sum(axis=0)
        quiet = magnitude[:, energy <= np.percentile(energy, NOISE_PERCENTILE)]
        threshold = quiet.mean(axis=1, keepdims=True) + MARGIN_STD * quiet.std(
            axis=1, keepdims=True)
        mask = np.where(magnitude > threshold, 1.0, FLOOR_GAIN)
        mask = ndimage.uniform_filter(mask, size=SMOOTH)
        _, clean = signal.istft(spec * mask, nperseg=FRAME, noverlap=FRAME * 3 // 4)
        clean = clean[: len(x)].astype(np.float32)
        peak = float(np.max(np.abs(clean))) or 1.0
        return [Audio(clean / max(peak, 1.0), audio.sample_rate)]
