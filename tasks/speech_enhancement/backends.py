"""The backends of speech_enhancement, best first."""

from __future__ import annotations

from models.base import Backend
from models.speech_enhancement.deepfilternet import DeepFilterNet
from models.speech_enhancement.metricgan import MetricGanPlus
from models.speech_enhancement.spectral_gate import SpectralGate

# MetricGAN+ once pulled (the neural catalog's choice); DeepFilterNet3 is the embedded tier's,
# far ahead of spectral gating on real speech in real noise (bench/README.md), which serves
# where its package is missing.
BACKENDS: tuple[type[Backend], ...] = (MetricGanPlus, DeepFilterNet, SpectralGate)
