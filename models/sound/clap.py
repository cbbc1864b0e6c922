"""LAION CLAP (HTS-AT audio, RoBERTa text, unfused) run with transformers (neural catalog):
target_sound_detection by text–audio similarity, for any sound described in words.

The description is embedded once ("the sound of a siren"). The recording is cut into
WINDOW-second windows HOP seconds apart at the model's 48 kHz, and each is embedded (CLAP
repeats a short clip to fill its 10 s input, as in training), in batches, on a GPU when the
worker has one. The cosine similarity of every window to the description is a curve; where
it stands out from the clip's own background and clears an absolute floor, the sound is
there (models/sound/events.py turns the curve into timed events, as for the taggers).
"""

from __future__ import annotations

import re
import threading
from typing import Any

import numpy as np

from media.audio import Audio, resample, to_16k
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.sound.base import MaskExtractor, TargetDetector
from models.sound.events import (
    SILENT_DB,
    Event,
    FrameScores,
    envelope_db,
    level_db,
    similarity_events,
)

WINDOW = 2.0  # seconds of audio per embedded window
HOP = 0.5  # seconds between windows
BATCH = 16  # windows per forward pass
PROMPT = "the sound of {}"  # how CLAP's training captions name a sound
FLOOR = 0.2  # cosine similarity a match must reach however much it stands out (uncalibrated)


def prompt_for(query: str) -> str | None:
    """The text CLAP compares with the audio, or None when the query has no words."""
    phrase = " ".join(re.findall(r"[\w'-]+", query.lower()))
    if not phrase:
        return None
    return phrase if phrase.startswith(("the sound of ", "sound of ")) else PROMPT.format(phrase)


class ClapTargetDetector(NeuralBackend, TargetDetector):
    """target_sound_detection: when the described sound occurs (CLAP similarity over time)."""

    name = "clap-target"
    task = "target_sound_detection"
    model = "LAION CLAP HTS-AT unfused (text–audio similarity)"
    license = "Apache-2.0 (model card)"
    install_hint = "audiogpt models pull target_sound_detection"
    requires = ("torch", "transformers")
    # The repository's main holds pytorch_model.bin only; should it gain model.safetensors,
    # that is fetched too (and loaded in preference).
    entry = CatalogEntry("clap-htsat-unfused", "laion/clap-htsat-unfused",
                         ("*.json", "merges.txt", "*.safetensors", "pytorch_model.bin"),
                         size="615 MB", license="Apache-2.0")
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        from transformers import ClapModel, ClapProcessor

        self._device = torch_device()
        self._processor = ClapProcessor.from_pretrained(self.folder)
        self._model = ClapModel.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        self.sample_rate = int(self._processor.feature_extractor.sampling_rate)
        self._lock = threading.Lock()  # one forward pass at a time on a shared model

    def find(self, audio: Audio, query: str) -> tuple[list[str], list[Event]]:
        """The text compared with the audio, and when the audio is like it."""
        prompt = prompt_for(query)
        if prompt is None:
            return [], []
        scores = self.similarity(audio, prompt)
        return [prompt], similarity_events(scores, query.strip(), FLOOR)

    def similarity(self, audio: Audio, prompt: str) -> FrameScores:
        """Cosine similarity to the prompt of every WINDOW-second window, HOP seconds apart,
        as a one-column FrameScores (NaN where a window is too quiet to judge)."""
        x = resample(audio, self.sample_rate)
        size, step = round(WINDOW * self.sample_rate), round(HOP * self.sample_rate)
        starts = list(range(0, max(1, len(x) - size + step), step))
        windows = [x[s:s + size] for s in starts]
        levels = np.array([level_db(w) for w in windows])
        curve = np.full(len(windows), np.nan)
        loud = [i for i, level in enumerate(levels) if level >= SILENT_DB]
        if loud:
            text = self._text_vector(prompt)
            for first in range(0, len(loud), BATCH):
                stop.check()
                batch = loud[first:first + BATCH]
                curve[batch] = self._audio_vectors([windows[i] for i in batch]) @ text
        centres = np.array(starts) / self.sample_rate + min(WINDOW, len(x) / self.sample_rate) / 2
        return FrameScores(centres, curve[:, None], levels, envelope_db(to_16k(audio)),
                           len(x) / self.sample_rate, HOP, WINDOW)

    def _text_vector(self, prompt: str) -> np.ndarray:
        import torch

        inputs = self._processor.tokenizer([prompt], padding=True, return_tensors="pt")
        with self._lock, torch.inference_mode():
            out = self._model.get_text_features(**inputs.to(self._device))
        return _unit(out)[0]

    def _audio_vectors(self, windows: list[np.ndarray]) -> np.ndarray:
        import torch

        inputs = self._processor.feature_extractor(windows, sampling_rate=self.sample_rate,
                                                   return_tensors="pt")
        with self._lock, torch.inference_mode():
            out = self._model.get_audio_features(**inputs.to(self._device))
        return _unit(out)


def _unit(out: Any) -> np.ndarray:
    """Unit-length embeddings from get_*_features (a tensor before transformers 5)."""
    vectors = getattr(out, "pooler_output", out).float().cpu().numpy()
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


class ClapMask(ClapTargetDetector, MaskExtractor):
    """Masking where the recording is most like the description to CLAP: any sound that
    can be put in words, not only AudioSet's classes."""

    name = "clap-mask"
    task = "sound_extraction"
    model = "Time–frequency masking guided by LAION CLAP text–audio similarity"
    install_hint = "audiogpt models pull sound_extraction"
