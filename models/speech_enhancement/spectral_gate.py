"""Speech enhancement by spectral gating (embedded tier), with the noise profile taken from
the parts of the recording where nobody speaks.

Silero VAD (the ONNX model faster-whisper carries) finds the speech; the rest is the
noise sample that noisereduce's stationary gate learns its per-frequency threshold
from. With too little non-speech to learn from, the gate estimates the noise from the
whole recording instead.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from media.audio import ASR_RATE, Audio, limit_peak
from models import stop
from models.speech_enhancement.base import AudioProcessor

MIN_NOISE_SECONDS = 0.3  # less non-speech than this is no profile
SPEECH_PAD_MS = 120  # keep speech onsets and tails out of the noise sample
N_STD = 1.5  # how far above the noise mean a bin must rise to pass
# Leaving a tenth of the noise keeps gating from eating soft speech onsets ("the meeting"
# came back as "but me being" at full reduction).
PROP_DECREASE = 0.9
CHUNK_SAMPLES = 600_000  # gated at a time (noisereduce's default), a stop checked between
PAD_SAMPLES = 30_000  # of context on each side of a chunk (noisereduce's default)


def speech_mask(x: np.ndarray, rate: int) -> np.ndarray:
    """True where Silero VAD hears speech, at the recording's own rate."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps
    from scipy import signal

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
        x = audio.mono
        noise = x[~speech_mask(x, audio.sample_rate)]
        stop.check()
        profile = noise if len(noise) >= MIN_NOISE_SECONDS * audio.sample_rate else None
        # noisereduce.reduce_noise(stationary=True) with these settings, its other defaults
        # spelt out, through a gate that checks for a stop before each chunk.
        clean = _gate_class()(
            y=x, sr=audio.sample_rate, y_noise=profile, n_std_thresh_stationary=N_STD,
            prop_decrease=PROP_DECREASE, n_fft=2048, chunk_size=CHUNK_SAMPLES,
            padding=PAD_SAMPLES, clip_noise_stationary=True, win_length=None, hop_length=None,
            time_constant_s=2.0, freq_mask_smooth_hz=500, time_mask_smooth_ms=50,
            tmp_folder=None, use_tqdm=False, n_jobs=1).get_traces()
        return [Audio(limit_peak(np.asarray(clean)[: len(x)]), audio.sample_rate)]


@functools.cache
def _gate_class() -> type[Any]:
    """noisereduce's stationary gate, stopping between its chunks (imported on first use)."""
    from noisereduce.spectralgate.stationary import SpectralGateStationary

    class StoppableGate(SpectralGateStationary):  # type: ignore[misc]
        def _do_filter(self, chunk: np.ndarray) -> np.ndarray:
            stop.check()
            return super()._do_filter(chunk)  # type: ignore[no-any-return]

    return StoppableGate
