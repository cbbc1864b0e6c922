"""Audio Spectrogram Transformer fine-tuned on AudioSet (527 classes), run with transformers
(neural catalog): sound_detection with the same timed events as the embedded YAMNet.

AST tags a whole clip (its input is 1024 log-mel frames, 10.24 s, padded when shorter). For
timed events it scores short overlapping windows, each padded as AudioSet's shorter clips
were in training, in batches, on a GPU when the worker has one.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import numpy as np

from media.audio import ASR_RATE, Audio, to_16k
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.sound.base import SoundDetector
from models.sound.events import SILENT_DB, FrameScores, envelope_db, level_db

WINDOW = 1.0  # seconds of audio per scored window
HOP = 0.5  # seconds between windows
BATCH = 16  # windows per forward pass


class AstDetector(NeuralBackend, SoundDetector):
    """sound_detection: which AudioSet sounds occur, and when (AST, mAP 0.459)."""

    name = "ast-audioset"
    task = "sound_detection"
    model = "AST fine-tuned on AudioSet (527 classes)"
    license = "BSD-3-Clause"
    install_hint = "audiogpt models pull sound_detection"
    requires = ("torch", "transformers")
    entry = CatalogEntry("ast-finetuned-audioset", "MIT/ast-finetuned-audioset-10-10-0.4593",
                         ("config.json", "preprocessor_config.json", "model.safetensors"),
                         size="346 MB", license="BSD-3-Clause")
    _model: Any = None
    _features: Any = None
    _labels: list[str]

    def load(self) -> None:
        from transformers import ASTFeatureExtractor, ASTForAudioClassification

        self._device = torch_device()
        with warnings.catch_warnings():  # AST's 128 mel bands leave the lowest ones empty
            warnings.filterwarnings("ignore", "At least one mel filter", UserWarning)
            self._features = ASTFeatureExtractor.from_pretrained(self.folder)
        self._model = ASTForAudioClassification.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        id2label = self._model.config.id2label
        self._labels = [id2label[i] for i in range(len(id2label))]
        self._lock = threading.Lock()  # one forward pass at a time on a shared model

    @property
    def labels(self) -> list[str]:
        return self._labels

    def frame_scores(self, audio: Audio) -> FrameScores:
        """Sigmoid class probabilities of every WINDOW-second window, HOP seconds apart."""
        x = to_16k(audio)
        size, step = round(WINDOW * ASR_RATE), round(HOP * ASR_RATE)
        starts = list(range(0, max(1, len(x) - size + step), step))
        windows = [x[s:s + size] for s in starts]
        levels = np.array([level_db(w) for w in windows])
        probs = np.zeros((len(windows), len(self._labels)))
        loud = [i for i, level in enumerate(levels) if level >= SILENT_DB]
        for first in range(0, len(loud), BATCH):
            stop.check()
            batch = loud[first:first + BATCH]
            probs[batch] = self._probabilities([windows[i] for i in batch])
        centres = np.array(starts) / ASR_RATE + WINDOW / 2
        return FrameScores(centres, probs, levels, envelope_db(x), len(x) / ASR_RATE, HOP,
                           WINDOW)

    def _probabilities(self, windows: list[np.ndarray]) -> np.ndarray:
        import torch

        inputs = self._features(windows, sampling_rate=ASR_RATE, return_tensors="pt")
        with self._lock, torch.inference_mode():
            logits = self._model(inputs["input_values"].to(self._device)).logits
        return torch.sigmoid(logits.float()).cpu().numpy()
