"""Kokoro-82M (StyleTTS 2 with an iSTFTNet decoder, 24 kHz), run with the kokoro package
(neural catalog).

One model speaks several languages; a voice is a style-vector pack (`voices/<id>.pt`) whose
id starts with its language (a: American English, b: British English, e: Spanish,
f: French, h: Hindi, i: Italian, p: Brazilian Portuguese) and its gender. Users name a
voice by its name ("bella", "george") or its id ("af_bella"). Phonemes come from misaki:
its English lexicon with spaCy's tagger where spaCy's `en_core_web_sm` is installed
(`python -m spacy download en_core_web_sm`), espeak-ng for the other languages and for
English without that model, so English works offline too, a little less well.
"""

from __future__ import annotations

import logging
import threading
import warnings
from typing import Any

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio, limit_peak
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.text_to_speech.base import Synthesizer

log = logging.getLogger(__name__)

REPO = "hexgrad/Kokoro-82M"
PAUSE = 0.2  # seconds between the pipeline's chunks (sentences, lines)
CODES = {"en": "a", "es": "e", "fr": "f", "hi": "h", "it": "i", "pt": "p"}  # misaki's codes
ESPEAK = {"a": "en-us", "b": "en-gb", "e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}
DEFAULT = {"en": "af_heart", "es": "ef_dora", "fr": "ff_siwis", "hi": "hf_alpha",
           "it": "if_sara", "pt": "pf_dora"}
# The v1.0 voice packs of the languages above (Japanese and Mandarin need misaki's extras).
VOICE_IDS = (
    "af_alloy", "af_aoede", "af_bella", "af_heart", "af_jessica", "af_kore", "af_nicole",
    "af_nova", "af_river", "af_sarah", "af_sky", "am_adam", "am_echo", "am_eric", "am_fenrir",
    "am_liam", "am_michael", "am_onyx", "am_puck", "am_santa", "bf_alice", "bf_emma",
    "bf_isabella", "bf_lily", "bm_daniel", "bm_fable", "bm_george", "bm_lewis", "ef_dora",
    "em_alex", "em_santa", "ff_siwis", "hf_alpha", "hf_beta", "hm_omega", "hm_psi", "if_sara",
    "im_nicola", "pf_dora", "pm_alex", "pm_santa",
)


def language_of(voice_id: str) -> str:
    """ISO 639-1 of a voice id ("bf_emma" -> "en")."""
    code = "a" if voice_id[0] == "b" else voice_id[0]
    return next(language for language, c in CODES.items() if c == code)


class Kokoro(NeuralBackend, Synthesizer):
    """text_to_speech: Kokoro-82M, 41 voices in six languages."""

    name = "kokoro"
    task = "text_to_speech"
    model = "Kokoro-82M (StyleTTS 2 + iSTFTNet, 24 kHz)"
    license = "Apache-2.0"
    install_hint = "audiogpt models pull text_to_speech --language en"
    requires = ("torch", "kokoro")
    languages = tuple(CODES)
    voices = tuple(dict.fromkeys(v.split("_")[1] for v in VOICE_IDS)) + VOICE_IDS
    entry = CatalogEntry("kokoro-82m", REPO, ("config.json", "kokoro-v1_0.pth",
                                              *(f"voices/{v}.pt" for v in VOICE_IDS)),
                         size="340 MB", license="Apache-2.0")
    sample_rate = 24_000
    _model: Any = None

    def load(self) -> None:
        from kokoro import KModel

        with warnings.catch_warnings():  # its LSTMs' dropout and weight_norm: not ours to fix
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", FutureWarning)
            self._model = KModel(repo_id=REPO, config=str(self.folder / "config.json"),
                                 model=str(self.folder / "kokoro-v1_0.pth"))
        self._model.to(torch_device()).eval()
        self._pipelines: dict[str, Any] = {}
        self._lock = threading.Lock()  # pipelines are made lazily and cache voice packs

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0,
                   language: str = "en") -> Audio:
        self.check_language(language)
        voice_id = self.voice_id(voice, language.lower())
        pause = np.zeros(round(PAUSE * self.sample_rate), np.float32)
        pieces: list[np.ndarray] = []
        with self._lock:
            pipeline = self._pipeline(voice_id)
            for result in pipeline(text, voice=str(self.folder / "voices" / f"{voice_id}.pt"),
                                   speed=speed):
                stop.check()
                if result.audio is not None:
                    pieces += [result.audio.numpy(), pause] if pieces else [result.audio.numpy()]
        if not pieces:
            raise Unsupported(f"{self.model} found nothing it can pronounce in that text")
        return Audio(limit_peak(np.concatenate(pieces)), self.sample_rate)

    @staticmethod
    def voice_id(voice: str | None, language: str) -> str:
        """The voice pack for a name or id in a language; Unsupported names the choices."""
        if not voice:
            return DEFAULT[language]
        wanted = voice.lower().replace(" ", "_")
        mine = [v for v in VOICE_IDS if language_of(v) == language]
        found = [v for v in mine if wanted in (v, v.split("_")[1])]
        if found:
            return found[0]
        names = ", ".join(v.split("_")[1] for v in mine)
        raise Unsupported(f"Kokoro has no voice {voice!r} in {language}; its voices there: "
                          f"{names}")

    def _pipeline(self, voice_id: str) -> Any:
        """The G2P pipeline for the voice's language (made once)."""
        code = voice_id[0]
        if code not in self._pipelines:
            from kokoro import KPipeline

            if code in "ab" and not _has_spacy_english():
                from misaki import espeak

                log.info("spaCy's en_core_web_sm is not installed: English phonemes from "
                         "espeak-ng")
                pipeline = KPipeline(lang_code="e", repo_id=REPO, model=self._model)
                pipeline.g2p = espeak.EspeakG2P(language=ESPEAK[code])
            else:
                pipeline = KPipeline(lang_code=code, repo_id=REPO, model=self._model)
            self._pipelines[code] = pipeline
        return self._pipelines[code]


def _has_spacy_english() -> bool:
    import spacy

    return bool(spacy.util.is_package("en_core_web_sm"))
