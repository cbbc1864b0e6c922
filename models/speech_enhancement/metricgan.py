"""Speech enhancement, neural catalog: SpeechBrain's MetricGAN+ trained on VoiceBank-DEMAND
(PESQ 3.15), run in plain PyTorch (models/nets/metricgan.py) from the published checkpoint.

The model works at 16 kHz: the recording is resampled to it and the result back to the
recording's own rate, so the output has the input's rate and length. The BLSTM reads a whole
recording at once and its memory grows with the length (about 65 MB a minute on a CPU), so
long recordings go through it in CHUNK-second pieces that overlap by OVERLAP seconds and are
cross-faded there: the working memory stays near 80 MB whatever the length. As speechbrain's
enhance_file does, the result is normalised to its peak (then kept just under full scale).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from core_agent.errors import BackendUnavailable, CheckpointMismatch, Unsupported
from media.audio import Audio, limit_peak, resample, to_16k
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.speech_enhancement.base import AudioProcessor

CHECKPOINT = "enhance_model.ckpt"
CHUNK = 60.0  # seconds the generator reads at once
OVERLAP = 2.0  # seconds two neighbouring chunks share, cross-faded
MIN_SECONDS = 0.05  # shorter than a few STFT frames is nothing to enhance


def chunk_weights(length: int, rate: int) -> list[tuple[int, np.ndarray]]:
    """(start, cross-fade weights) of each chunk covering `length` samples; the weights of
    overlapping chunks sum to one, so overlap-adding unchanged chunks gives the input back."""
    size, overlap = round(CHUNK * rate), round(OVERLAP * rate)
    starts = list(range(0, max(length - overlap, 1), size - overlap))
    rise = (np.arange(overlap, dtype=np.float32) + 0.5) / overlap
    pieces = []
    for i, start in enumerate(starts):
        weights = np.ones(min(size, length - start), np.float32)
        if i > 0:
            weights[:overlap] = rise
        if i < len(starts) - 1:
            weights[-overlap:] = 1.0 - rise
        pieces.append((start, weights))
    return pieces


class MetricGanPlus(NeuralBackend, AudioProcessor):
    """speech_enhancement: a spectral mask from a BLSTM, trained with a learned PESQ critic."""

    name = "metricgan-plus"
    task = "speech_enhancement"
    model = "SpeechBrain MetricGAN+ (VoiceBank-DEMAND)"
    license = "Apache-2.0"
    install_hint = "audiogpt models pull speech_enhancement"
    requires = ("torch",)
    entry = CatalogEntry("metricgan-plus-voicebank", "speechbrain/metricgan-plus-voicebank",
                         ("hyperparams.yaml", CHECKPOINT), size="7.6 MB", license="Apache-2.0")
    _generator: Any = None

    def load(self) -> None:
        from models.nets.metricgan import load_generator

        self._device = torch_device()
        try:
            self._generator = load_generator(self.folder / CHECKPOINT, self._device)
        except (OSError, CheckpointMismatch) as err:
            raise BackendUnavailable(self.model, f"{self.install_hint} (the installed "
                                                 f"checkpoint does not load: {err})") from err
        self._lock = threading.Lock()  # one chunk at a time through the shared generator

    def process(self, audio: Audio) -> list[Audio]:
        from models.nets.metricgan import PEAK_EPS, SAMPLE_RATE

        if audio.duration < MIN_SECONDS:
            raise Unsupported(f"the recording is too short to enhance ({audio.duration:.2f} s)")
        x = to_16k(audio)
        enhanced = np.zeros_like(x)
        for start, weights in chunk_weights(len(x), SAMPLE_RATE):
            stop.check()
            enhanced[start:start + len(weights)] += weights * self._enhance(
                x[start:start + len(weights)])
        peak = float(np.max(np.abs(enhanced)))
        enhanced /= peak + PEAK_EPS  # speechbrain's resynthesize normalises to the peak
        enhanced = resample(Audio(enhanced, SAMPLE_RATE), audio.sample_rate)
        return [Audio(limit_peak(enhanced[:len(audio.mono)]), audio.sample_rate)]

    def _enhance(self, piece: np.ndarray) -> np.ndarray:
        import torch

        from models.nets.metricgan import enhance

        with self._lock, torch.inference_mode():
            wave = torch.from_numpy(piece)[None].to(self._device)
            return np.asarray(enhance(self._generator, wave)[0].float().cpu().numpy())
