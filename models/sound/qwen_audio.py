"""Qwen2-Audio-7B-Instruct, run with transformers (neural catalog): audio_to_text as an
audio-language model's own description of a recording.

A Whisper-style encoder turns up to 30 s of 16 kHz audio (128 log-mel bands) into audio
tokens that stand in the chat prompt for `<|AUDIO|>`; the Qwen2-7B decoder answers the
instruction greedily. Longer recordings are described 30 s at a time, each part with its
times, up to a limit. On a GPU when the worker has one (its bf16 weights take about 17 GB).
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

import numpy as np

from core_agent.errors import Unsupported
from media.audio import ASR_RATE, Audio, to_16k
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.sound.base import Caption, Captioner, Transcribe

WINDOW = 30.0  # seconds of audio per prompt, all the feature extractor takes
MIN_SECONDS = 0.1  # shorter clips make no audio token
MAX_NEW_TOKENS = 200  # a concise description, not an essay
INSTRUCTION = ("Describe concisely what can be heard in this recording: the sounds in the order "
               "they occur, what any speech says, and any music.")


class QwenAudioCaptioner(NeuralBackend, Captioner):
    """audio_to_text: a description by Qwen2-Audio, 30 s at a time."""

    name = "qwen2-audio-7b-instruct"
    task = "audio_to_text"
    model = "Qwen2-Audio-7B-Instruct"
    license = "Apache-2.0"
    install_hint = "audiogpt models pull audio_to_text"
    requires = ("torch", "transformers")
    entry = CatalogEntry("qwen2-audio-7b-instruct", "Qwen/Qwen2-Audio-7B-Instruct",
                         ("config.json", "generation_config.json", "model.safetensors.index.json",
                          "model-*-of-*.safetensors", "preprocessor_config.json",
                          "tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt",
                          "special_tokens_map.json", "added_tokens.json", "chat_template.*"),
                         size="16.8 GB", license="Apache-2.0")
    max_windows: ClassVar[int] = 10  # the longest recording described: 5 minutes
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        from transformers import AutoProcessor, Qwen2AudioForConditionalGeneration

        self._device = torch_device()
        self._processor = AutoProcessor.from_pretrained(self.folder)
        self._model = Qwen2AudioForConditionalGeneration.from_pretrained(self.folder,
                                                                         dtype="auto")
        self._model.to(self._device).eval()
        self._lock = threading.Lock()  # one generation at a time on a shared model

    def describe(self, audio: Audio, transcribe: Transcribe | None = None) -> Caption:
        """One description for a clip up to 30 s; longer ones part by part with times."""
        x16, size, least = to_16k(audio), round(WINDOW * ASR_RATE), round(MIN_SECONDS * ASR_RATE)
        starts = range(0, len(x16) - least + 1, size)  # a last sliver too short is left out
        if not starts:
            raise Unsupported(f"{self.model} needs at least {MIN_SECONDS:g} s of audio")
        windows = [{"start": round(s / ASR_RATE, 1),
                    "end": round(min(s + size, len(x16)) / ASR_RATE, 1),
                    "text": self.reply(x16[s:s + size])} for s in starts[:self.max_windows]]
        if len(starts) == 1:
            return Caption(str(windows[0]["text"]), {"windows": windows})
        text = "\n".join(f"{w['start']:g}–{w['end']:g} s: {w['text']}" for w in windows)
        if len(starts) > len(windows):
            text += (f"\n(I described the first {windows[-1]['end']:g} s of "
                     f"{len(x16) / ASR_RATE:.0f} s; longer recordings are cut there.)")
        return Caption(text, {"windows": windows})

    def inputs(self, x16: np.ndarray) -> Any:
        """The processor's tensors for one window (16 kHz mono): the chat prompt with the audio
        tokens, the log-mel features and their mask."""
        # The template puts the audio tokens where an item has an "audio_url" (the older copy
        # of it matches no other audio item); the samples go to the processor, nothing loads.
        conversation = [{"role": "user", "content": [
            {"type": "audio", "audio_url": "recording"}, {"type": "text", "text": INSTRUCTION}]}]
        prompt = self._processor.apply_chat_template(conversation, add_generation_prompt=True,
                                                     tokenize=False)
        return self._processor(text=[prompt], audio=[x16], sampling_rate=ASR_RATE,
                               return_tensors="pt")

    def reply(self, x16: np.ndarray) -> str:
        """The model's answer for one window: only the text it generated after the prompt."""
        import torch

        inputs = self.inputs(x16).to(self._device)
        with self._lock, torch.inference_mode():
            ids = self._model.generate(**inputs, do_sample=False, max_new_tokens=MAX_NEW_TOKENS)
        new = ids[0, inputs["input_ids"].shape[1]:]
        return str(self._processor.decode(new, skip_special_tokens=True)).strip()
