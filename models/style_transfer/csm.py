"""Sesame CSM-1B (zero-shot voice cloning, 24 kHz), run with transformers (neural catalog).

CSM is a Llama backbone that predicts the first Mimi codebook of each 80 ms frame and a
small depth decoder that fills in the other 31; Mimi decodes the codes to 24 kHz audio.
It clones a voice from context: the reference recording with its transcript as an earlier
turn of speaker 0, then the new text for the same speaker, whose audio it continues. The
transcript comes from the speech_recognition model (the executor asks for it).

sesame/csm-1b is gated on the hub: users accept its terms on the model page and pull it
with a token of their own in HF_TOKEN.
"""

from __future__ import annotations

import math
import re
import threading
from typing import Any

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio, limit_peak, resample
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.style_transfer.base import VoiceCloner

SPEAKER = "0"  # the chat template's speaker id for the cloned voice
MAX_REFERENCE_SECONDS = 10.0  # longer references cost context and add little to the voice
EARLIEST_CUT_SECONDS = 5.0  # a long reference keeps at least this much, cut at its pause
PAUSE_FRAME_SECONDS = 0.02  # loudness is measured over windows this long to find a pause
QUIET_FLOOR = 1e-4  # RMS; windows within twice the quietest plus this are a pause
LEAD_SECONDS = 1.0  # room for breaths around the words
SECONDS_PER_WORD = 0.6  # slow, deliberate speech (100 words a minute)
CHARS_PER_WORD = 6  # counts words in scripts written without spaces
MAX_SECONDS = 60.0  # the longest speech asked of one generation
SPECIAL_TOKEN = re.compile(r"<\|[^|>]*\|>")  # never let text smuggle in audio markers


def cut_at_pause(audio: Audio, limit: float = MAX_REFERENCE_SECONDS,
                 earliest: float = EARLIEST_CUT_SECONDS) -> Audio:
    """Mono audio of at most `limit` seconds: a longer recording is cut in the middle of its
    longest pause between `earliest` and `limit` (the later of equals), so no word is cut."""
    x, rate = audio.mono, audio.sample_rate
    if len(x) <= limit * rate:
        return Audio(x, rate)
    hop = round(PAUSE_FRAME_SECONDS * rate)
    first, last = int(earliest * rate) // hop, int(limit * rate) // hop
    loudness = np.sqrt(np.mean(x[first * hop:last * hop].reshape(-1, hop) ** 2, axis=1))
    quiet = np.concatenate([[0], loudness <= 2 * loudness.min() + QUIET_FLOOR, [0]])
    edges = np.diff(quiet.astype(int))  # +1 where a pause begins, -1 after it ends
    starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    longest = len(starts) - 1 - int(np.argmax((stops - starts)[::-1]))
    return Audio(x[:round((first + (starts[longest] + stops[longest]) / 2) * hop)], rate)


def words_in(text: str) -> int:
    """How many words the text has, for sizing the speech it makes."""
    return max(len(text.split()), math.ceil(len(text) / CHARS_PER_WORD))


class CsmVoiceClone(NeuralBackend, VoiceCloner):
    """style_transfer: the text spoken in the reference's voice (zero-shot cloning)."""

    name = "csm-1b"
    task = "style_transfer"
    model = "Sesame CSM-1B voice cloning (24 kHz)"
    license = "Apache-2.0 (gated: accept its terms on the hub)"
    install_hint = "HF_TOKEN=<your token> audiogpt models pull style_transfer"
    requires = ("torch", "transformers")
    languages = ("en",)
    reference_rate = 24_000  # Hz, Mimi's rate
    needs_transcript = True
    entry = CatalogEntry("csm-1b", "sesame/csm-1b",
                         ("config.json", "generation_config.json", "model.safetensors",
                          "preprocessor_config.json", "processor_config.json",
                          "chat_template.jinja", "chat_template.json", "special_tokens_map.json",
                          "tokenizer.json", "tokenizer_config.json"),
                         size="6.2 GB",
                         license="Apache-2.0; gated: accept its terms on the model page and "
                                 "set HF_TOKEN")
    _model: Any = None
    _processor: Any = None

    def load(self) -> None:
        from transformers import AutoProcessor, CsmForConditionalGeneration

        self._device = torch_device()
        self._processor = AutoProcessor.from_pretrained(self.folder)
        self._model = CsmForConditionalGeneration.from_pretrained(self.folder)
        self._model.to(self._device).eval()
        codec = self._model.config.codec_config
        self.sample_rate = int(codec.sampling_rate)
        self.frame_rate = float(codec.frame_rate)  # Mimi: 12.5 frames a second
        self._lock = threading.Lock()  # sampling seeds torch's global generator

    def reference_clip(self, reference: Audio) -> Audio:
        return cut_at_pause(reference)

    def max_frames(self, text: str) -> int:
        """The most Mimi frames the text may take to say; Unsupported past MAX_SECONDS."""
        seconds = LEAD_SECONDS + SECONDS_PER_WORD * words_in(text)
        if seconds > MAX_SECONDS:
            most = int((MAX_SECONDS - LEAD_SECONDS) / SECONDS_PER_WORD)
            raise Unsupported(f"{self.model} says up to about {most} words at a time; send the "
                              "text in shorter parts")
        return math.ceil(seconds * self.frame_rate)

    def speak_like(self, text: str, reference: Audio, transcript: str | None = None,
                   seed: int | None = None) -> Audio:
        import torch

        text, heard = (SPECIAL_TOKEN.sub(" ", t or "").strip() for t in (text, transcript))
        if not heard:
            raise Unsupported(f"{self.model} clones a voice from speech and its words; the "
                              "reference recording has no words in it")
        frames = self.max_frames(text)
        conversation = [
            {"role": SPEAKER, "content": [{"type": "text", "text": heard},
                                          {"type": "audio",
                                           "audio": resample(reference, self.sample_rate)}]},
            {"role": SPEAKER, "content": [{"type": "text", "text": text}]},
        ]
        inputs = self._processor.apply_chat_template(conversation, tokenize=True,
                                                     return_dict=True)
        with self._lock, torch.inference_mode():
            if seed is not None:
                torch.manual_seed(seed)
            audio = self._model.generate(**inputs.to(self._device), output_audio=True,
                                         max_new_tokens=frames,
                                         stopping_criteria=stop.between_tokens())
        return Audio(limit_peak(audio[0].float().cpu().numpy()), self.sample_rate)
