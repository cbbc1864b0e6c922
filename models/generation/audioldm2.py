"""AudioLDM 2 (text to audio, 16 kHz), run with diffusers (neural catalog).

CLAP and Flan-T5 read the description, GPT-2 turns their embeddings into eight conditioning
vectors, and a latent diffusion UNet denoises a 64-band mel spectrogram's VAE latents, which
the VAE decodes and a HiFi-GAN vocoder turns into sound. The loaded pipeline is shared by
every backend of this checkpoint (text_to_audio here, audio_inpainting in
models/inpainting/audioldm2.py), so the 4.5 GB of weights sit in memory once.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from media.audio import Audio, limit_peak
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.generation.base import Generator

STEPS = 100  # DDIM steps: the model card's quality setting (the pipeline's default is 200)
GUIDANCE = 3.5  # classifier-free guidance scale, the pipeline's default
NEGATIVE = "low quality, noise"  # steers away from the muffled, hissy takes
MIN_SECONDS = 0.5  # shorter requests are made at this length and cut

ENTRY = CatalogEntry(
    "audioldm2", "cvssp/audioldm2",
    ("model_index.json", "*/config.json", "*/*.safetensors", "scheduler/scheduler_config.json",
     "feature_extractor/preprocessor_config.json", "tokenizer/*.json", "tokenizer/merges.txt",
     "tokenizer_2/*.json", "tokenizer_2/spiece.model"),
    size="4.5 GB", license="CC-BY-NC-SA-4.0")


@dataclass(eq=False)
class Loaded:
    """One loaded pipeline and the lock its runs take (a run keeps state in the scheduler)."""

    pipe: Any
    device: str
    lock: threading.Lock = field(default_factory=threading.Lock)


_LOADED: weakref.WeakValueDictionary[str, Loaded] = weakref.WeakValueDictionary()
_LOADING = threading.Lock()


def _stop_between_steps(step: int, timestep: Any, latents: Any) -> None:
    """The pipeline's per-step callback (AudioLDM 2 has the older `callback`, not
    `callback_on_step_end`): a stopped job ends after the UNet pass it is in."""
    stop.check()


def load_pipeline(folder: Path) -> Loaded:
    """The checkpoint's pipeline, loaded once while any backend holds it."""
    with _LOADING:
        if (loaded := _LOADED.get(str(folder))) is not None:
            return loaded
        import torch
        from diffusers import AudioLDM2Pipeline
        from transformers import GPT2LMHeadModel

        # The repository names GPT2Model, which has no generation helpers in transformers 5
        # (diffusers issue 12630); the pipeline is written for the LM-head class, whose body is
        # the same network (its head is tied to the embeddings), so the weights load unchanged.
        language_model = GPT2LMHeadModel.from_pretrained(folder / "language_model",
                                                         dtype=torch.float32)
        # float32 throughout: CLAP's config says float64, which the other parts would refuse.
        pipe = AudioLDM2Pipeline.from_pretrained(folder, language_model=language_model,
                                                 dtype=torch.float32)
        pipe.set_progress_bar_config(disable=True)
        device = torch_device()
        pipe.to(device)
        loaded = _LOADED[str(folder)] = Loaded(pipe, device)
        return loaded


class AudioLdm2(NeuralBackend, Generator):
    """text_to_audio: a sound effect or ambience from a description."""

    name = "audioldm2"
    task = "text_to_audio"
    model = "AudioLDM 2 (16 kHz)"
    license = "CC-BY-NC-SA-4.0 (weights), Apache-2.0 (diffusers)"
    install_hint = "audiogpt models pull text_to_audio"
    requires = ("torch", "diffusers", "transformers")
    entry = ENTRY
    max_seconds = 10.0  # it was trained on 10.24 s clips

    def __init__(self, folder: Path, steps: int = STEPS) -> None:
        """`steps` trades quality for time (each is one UNet pass over the clip's latents)."""
        super().__init__(folder)
        self.steps = steps

    def load(self) -> None:
        self.shared = load_pipeline(self.folder)
        self.sample_rate = int(self.shared.pipe.vocoder.config.sampling_rate)

    def generate(self, prompt: str, duration: float, seed: int | None = None) -> Audio:
        import torch

        seconds = min(duration, self.max_seconds)
        with self.shared.lock, torch.inference_mode():
            generator = None if seed is None else \
                torch.Generator(self.shared.device).manual_seed(seed)
            made = self.shared.pipe(
                prompt, negative_prompt=NEGATIVE, num_inference_steps=self.steps,
                guidance_scale=GUIDANCE, audio_length_in_s=max(seconds, MIN_SECONDS),
                generator=generator, callback=_stop_between_steps).audios[0]
        wanted = round(seconds * self.sample_rate)
        samples = np.pad(made[:wanted], (0, max(0, wanted - len(made))))
        return Audio(limit_peak(samples), self.sample_rate)
