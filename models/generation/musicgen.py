"""MusicGen small (text to music, 32 kHz), run with transformers (neural catalog).

A T5 encoder reads the description; a decoder writes four EnCodec codebooks in a delay
pattern at 50 frames a second, with classifier-free guidance; EnCodec decodes them to audio.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from media.audio import Audio, limit_peak
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.generation.base import Generator

GUIDANCE = 3.0  # classifier-free guidance scale, MusicGen's default


class MusicGenSmall(NeuralBackend, Generator):
    """text_to_music: a piece of music from a description."""

    name = "musicgen-small"
    task = "text_to_music"
    model = "MusicGen small (300M, 32 kHz)"
    license = "CC-BY-NC-4.0 (weights), MIT (code)"
    install_hint = "audiogpt models pull text_to_music"
    requires = ("torch", "transformers")
    entry = CatalogEntry("musicgen-small", "facebook/musicgen-small",
                         ("config.json", "generation_config.json", "model.safetensors",
                          "preprocessor_config.json", "special_tokens_map.json",
                          "tokenizer.json", "tokenizer_config.json", "spiece.model"),
                         size="2.4 GB", license="CC-BY-NC-4.0")
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        from transformers import AutoProcessor, MusicgenForConditionalGeneration

        self._device = torch_device()
        self._processor = AutoProcessor.from_pretrained(self.folder)
        self._model = MusicgenForConditionalGeneration.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        codec = self._model.config.audio_encoder
        self.sample_rate = int(codec.sampling_rate)
        self.frame_rate = int(codec.frame_rate)
        self.codebooks = int(self._model.config.decoder.num_codebooks)
        self._lock = threading.Lock()  # sampling seeds torch's global generator

    def generate(self, prompt: str, duration: float, seed: int | None = None) -> Audio:
        import torch

        seconds = min(duration, self.max_seconds)
        inputs = self._processor(text=[prompt], padding=True, return_tensors="pt")
        # The delay pattern staggers the codebooks: codebook k ends k frames late.
        tokens = round(seconds * self.frame_rate) + self.codebooks - 1
        with self._lock, torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            values = self._model.generate(**inputs.to(self._device), do_sample=True,
                                          guidance_scale=GUIDANCE, max_new_tokens=tokens,
                                          stopping_criteria=stop.between_tokens())
        samples = values[0, 0].float().cpu().numpy()
        wanted = round(seconds * self.sample_rate)
        samples = np.pad(samples[:wanted], (0, max(0, wanted - len(samples))))
        return Audio(limit_peak(samples), self.sample_rate)
