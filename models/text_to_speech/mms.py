"""MMS-TTS: one VITS voice per language from Meta's Massively Multilingual Speech, run with
transformers (neural catalog).

Each language is its own checkpoint (`facebook/mms-tts-<ISO 639-3>`, about 145 MB), so each
is its own backend with its own catalog entry; the registry prefers it over espeak-ng for its
language, and `audiogpt models pull text_to_speech --language de` fetches just that one.
Only languages written in Latin script are listed: the others need the uroman romaniser.
"""

from __future__ import annotations

import re
import threading
from typing import Any, ClassVar

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio, limit_peak
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.text_to_speech.base import Synthesizer

FILES = ("config.json", "model.safetensors", "vocab.json", "tokenizer_config.json",
         "special_tokens_map.json")
PAUSE = 0.25  # seconds of silence between sentences
SENTENCE = re.compile(r"(?<=[.!?;:])\s+")
SEED = 0  # VITS samples its durations and noise: a fixed seed says the same text alike


class _MmsVoice(NeuralBackend, Synthesizer):
    task = "text_to_speech"
    license = "CC-BY-NC-4.0"
    requires = ("torch", "transformers")
    iso3: ClassVar[str]  # ISO 639-3, the code in the repository's name
    _model: Any = None
    _tokenizer: Any = None

    def load(self) -> None:
        from transformers import VitsModel, VitsTokenizer

        self._device = torch_device()
        self._tokenizer = VitsTokenizer.from_pretrained(self.folder)
        self._model = VitsModel.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        self.sample_rate = int(self._model.config.sampling_rate)
        self._lock = threading.Lock()  # speaking_rate is set on the shared model

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        self.check_language(language)
        if voice:
            raise Unsupported(f"{self.model} has one voice; it can't speak as {voice!r}")
        pause = np.zeros(round(PAUSE * self.sample_rate), np.float32)
        pieces: list[np.ndarray] = []
        for sentence in SENTENCE.split(text.strip()):
            stop.check()
            if (spoken := self._speak(sentence, speed)) is not None:
                pieces += [spoken, pause] if pieces else [spoken]
        if not pieces:
            raise Unsupported(f"{self.model} found nothing it can pronounce in that text")
        return Audio(limit_peak(np.concatenate(pieces)), self.sample_rate)

    def _speak(self, sentence: str, speed: float) -> np.ndarray | None:
        import torch

        inputs = self._tokenizer(sentence, return_tensors="pt")
        if inputs["input_ids"].shape[-1] <= 1:  # only blanks: no letter it knows
            return None
        with self._lock, torch.inference_mode():
            self._model.speaking_rate = speed
            torch.manual_seed(SEED)
            waveform = self._model(**inputs.to(self._device)).waveform
        return waveform[0].float().cpu().numpy()


def _entry(iso3: str) -> CatalogEntry:
    return CatalogEntry(f"mms-tts-{iso3}", f"facebook/mms-tts-{iso3}", FILES, size="145 MB",
                        license="CC-BY-NC-4.0")


class MmsGerman(_MmsVoice):
    """German speech (MMS-TTS deu)."""

    name, iso3, languages = "mms-tts-deu", "deu", ("de",)
    model = "MMS-TTS German (VITS)"
    install_hint = "audiogpt models pull text_to_speech --language de"
    entry = _entry("deu")


class MmsFrench(_MmsVoice):
    """French speech (MMS-TTS fra)."""

    name, iso3, languages = "mms-tts-fra", "fra", ("fr",)
    model = "MMS-TTS French (VITS)"
    install_hint = "audiogpt models pull text_to_speech --language fr"
    entry = _entry("fra")


class MmsSpanish(_MmsVoice):
    """Spanish speech (MMS-TTS spa)."""

    name, iso3, languages = "mms-tts-spa", "spa", ("es",)
    model = "MMS-TTS Spanish (VITS)"
    install_hint = "audiogpt models pull text_to_speech --language es"
    entry = _entry("spa")

