"""Speech enhancement by spectral gating (embedded tier), with the noise profile taken from
the parts of the recording where nobody speaks.

Silero VAD (the ONNX model faster-whisper carries) finds the speech; the rest is the
noise sample that noisereduce's stationary gate learns its per-frequency threshold
from. With too little non-speech to learn from, the gate estimates the noise from the
whole recording instead.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from models.audio import ASR_RATE, Audio, limit_peak
from models.base import AudioProcessor

MIN_NOISE_SECONDS = 0.3  # less non-speech than this is no profile
SPEECH_PAD_MS = 120  # keep speech onsets and tails out of the noise sample
N_STD = 1.5  # how far above the noise mean a bin must rise to pass
# Leaving a tenth of the noise keeps gating from eating soft speech onsets ("the meeting"
# came back as "but me being" at full reduction).
PROP_DECREASE = 0.9


def speech_mask(x: np.ndarray, rate: int) -> np.ndarray:
    """True where Silero VAD hears speech, at the recording's own rate."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    at_16k = signal.resample_poly(x, ASR_RATE, rate).astype(np.float32)
    options = VadOptions(min_silence_duration_ms=100, speech_pad_ms=SPEECH_PAD_MS)
    mask = np.zeros(len(x), dtype=bool)
    for span in get_speech_timestamps(at_16k, options):
        mask[span["start"] * rate // ASR_RATE: span["end"] * rate // ASR_RATE] = True
    return mask


class SpectralGate(AudioProcessor):
    """Stationary-noise reduction (hiss, hum, fans, traffic rumble) that keeps speech."""

    name = "spectral-gate"
    task = "speech_enhancement"
    model = "Spectral gating with a Silero VAD noise profile (noisereduce)"
    license = "MIT (noisereduce, Silero VAD)"
    install_hint = "pip install noisereduce faster-whisper"
    requires = ("noisereduce", "faster_whisper")

    def load(self) -> None:
        """Nothing to load: the VAD model is loaded by faster-whisper on first use."""

    def process(self, audio: Audio) -> list[Audio]:
        import noisereduce

        x = audio.mono
        noise = x[~speech_mask(x, audio.sample_rate)]
        profile = noise if len(noise) >= MIN_NOISE_SECONDS * audio.sample_rate else None
        clean = noisereduce.reduce_noise(y=x, sr=audio.sample_rate, y_noise=profile,
                                         stationary=True, n_std_thresh_stationary=N_STD,
                                         prop_decrease=PROP_DECREASE,
                                         n_fft=2048)
        return [Audio(limit_peak(np.asarray(clean)[: len(x)]), audio.sample_rate)]
