"""The backends of speech_enhancement, best first."""

from __future__ import annotations

from models.base import Backend
from models.speech_enhancement.metricgan import MetricGanPlus
from models.speech_enhancement.spectral_gate import SpectralGate

BACKENDS: tuple[type[Backend], ...] = (MetricGanPlus, SpectralGate)
