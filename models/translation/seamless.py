"""SeamlessM4T v2 large, speech to text: speech in about 100 languages translated into any of
96 written ones, run with transformers (neural catalog).

The hub repository holds the whole model (speech and text encoders, text decoder,
text-to-unit model, vocoder); SeamlessM4Tv2ForSpeechToText loads the speech encoder and the
text decoder from it and leaves the rest on disk. The model hears about 30 s at a time, so a
recording goes in the clips of speech Silero VAD finds (the clips Whisper's batches use),
each translated on its own; the decoder starts from the target language's token.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from media.audio import ASR_RATE, Audio
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.speech_recognition.base import Segment, Transcript
from models.speech_recognition.faster_whisper import speech_clips
from models.translation.base import Translator

# Our codes (ISO 639-1; ISO 639-3 where a language has none) to Seamless's, for the 96
# languages it writes. It hears speech in all of them (Malay as spoken Malay, zlm).
LANGUAGES = {
    "af": "afr", "am": "amh", "ar": "arb", "ary": "ary", "arz": "arz", "as": "asm", "az": "azj",
    "be": "bel", "bn": "ben", "bs": "bos", "bg": "bul", "ca": "cat", "ceb": "ceb", "cs": "ces",
    "ckb": "ckb", "zh": "cmn", "zh-hant": "cmn_Hant", "cy": "cym", "da": "dan", "de": "deu",
    "el": "ell", "en": "eng", "et": "est", "eu": "eus", "fi": "fin", "fr": "fra", "om": "gaz",
    "ga": "gle", "gl": "glg", "gu": "guj", "he": "heb", "hi": "hin", "hr": "hrv", "hu": "hun",
    "hy": "hye", "ig": "ibo", "id": "ind", "is": "isl", "it": "ita", "jv": "jav", "ja": "jpn",
    "kn": "kan", "ka": "kat", "kk": "kaz", "mn": "khk", "km": "khm", "ky": "kir", "ko": "kor",
    "lo": "lao", "lt": "lit", "lg": "lug", "luo": "luo", "lv": "lvs", "mai": "mai", "ml": "mal",
    "mr": "mar", "mk": "mkd", "mt": "mlt", "mni": "mni", "my": "mya", "nl": "nld", "nn": "nno",
    "nb": "nob", "no": "nob", "ne": "npi", "ny": "nya", "or": "ory", "pa": "pan", "ps": "pbt",
    "fa": "pes", "pl": "pol", "pt": "por", "ro": "ron", "ru": "rus", "sk": "slk", "sl": "slv",
    "sn": "sna", "sd": "snd", "so": "som", "es": "spa", "sr": "srp", "sv": "swe", "sw": "swh",
    "ta": "tam", "te": "tel", "tg": "tgk", "tl": "tgl", "th": "tha", "tr": "tur", "uk": "ukr",
    "ur": "urd", "uz": "uzn", "vi": "vie", "yo": "yor", "yue": "yue", "ms": "zsm", "zu": "zul",
}
SPEECH_ONLY = ("ast", "kam", "kea", "lb", "oc", "xh")  # heard, never written
CLIPS_PER_BATCH = 8  # clips of speech decoded in one generate call


class SeamlessTranslate(NeuralBackend, Translator):
    """speech_translation into any of 96 languages (Whisper's translate writes English only)."""

    name = "seamless-m4t-v2-large"
    task = "speech_translation"
    model = "SeamlessM4T v2 large (speech to text)"
    license = "CC-BY-NC-4.0"
    install_hint = "audiogpt models pull speech_translation"
    # The tokenizer is published as a SentencePiece model only: converting it needs both.
    requires = ("torch", "transformers", "sentencepiece", "google.protobuf", "faster_whisper")
    languages = tuple(LANGUAGES)
    sources = (*LANGUAGES, *SPEECH_ONLY)
    entry = CatalogEntry(
        "seamless-m4t-v2-large", "facebook/seamless-m4t-v2-large",
        ("config.json", "generation_config.json", "model.safetensors.index.json",
         "model-*-of-*.safetensors", "preprocessor_config.json", "sentencepiece.bpe.model",
         "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json"),
        size="9.2 GB", license="CC-BY-NC-4.0")
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        import torch
        from transformers import AutoProcessor, SeamlessM4Tv2ForSpeechToText

        self._device = torch_device()
        self._dtype = torch.float16 if self._device == "cuda" else torch.float32
        self._processor = AutoProcessor.from_pretrained(self.folder)
        self._model = SeamlessM4Tv2ForSpeechToText.from_pretrained(self.folder, dtype=self._dtype)
        self._model.to(self._device).eval()

    def translate(self, audio: Audio, target: str, source: str | None = None) -> Transcript:
        self.check_language(target)
        self.check_source(source)
        clips, rate = speech_clips(audio), audio.sample_rate
        segments: list[Segment] = []
        for first in range(0, len(clips), CLIPS_PER_BATCH):
            stop.check()
            batch = clips[first:first + CLIPS_PER_BATCH]
            ids = self.token_ids([audio.samples[a:b] for a, b in batch], target)
            texts = self._processor.tokenizer.batch_decode(ids, skip_special_tokens=True)
            segments += [Segment(a / rate, b / rate, text.strip())
                         for (a, b), text in zip(batch, texts, strict=True) if text.strip()]
        return Transcript(" ".join(s.text for s in segments), target.lower(), segments)

    def token_ids(self, clips: list[np.ndarray], target: str) -> list[list[int]]:
        """The decoder's tokens for each clip of speech (16 kHz): its start token, the target
        language's token (`__fra__` for "fr"), then the translation up to its end."""
        import torch

        inputs = self._processor(audio=clips, sampling_rate=ASR_RATE, return_tensors="pt")
        with torch.inference_mode():
            ids = self._model.generate(**inputs.to(self._device, dtype=self._dtype),
                                       tgt_lang=LANGUAGES[target.lower()])
        return [[int(i) for i in row] for row in ids.cpu()]
