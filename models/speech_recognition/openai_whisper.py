"""Whisper large-v3-turbo run with openai-whisper, from OpenAI's transformers checkpoint
(neural catalog).

openai-whisper fetches `.pt` files from its own host, which the hub pull (checksums, resume)
cannot serve, so the catalog pulls the transformers checkpoint of the same weights and this
module renames its state dict into openai-whisper's `Whisper` at load: the reverse of
transformers' convert_openai_to_hf.py, every parameter filled or the load refused. It is the
engine for a GPU worker (torch's own CUDA, where faster-whisper would need cuDNN and cuBLAS
for CTranslate2); on a CPU the faster-whisper engine of the same model is several times
faster and goes first (`prefers_gpu`, models/registry.py).
"""

from __future__ import annotations

import base64
import gzip
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from core_agent.errors import BackendUnavailable, Unsupported
from media.audio import Audio
from models import stop
from models.catalog.checkpoints import CatalogEntry, NeuralBackend, torch_device
from models.speech_recognition.base import Segment, Transcriber, Transcript
from models.speech_recognition.faster_whisper import BEAM_SIZE, speech_windows

if TYPE_CHECKING:
    from whisper.model import ModelDimensions, Whisper

WEIGHTS = "model.safetensors"
# openai-whisper's parameter names to the transformers checkpoint's, replaced in this order
# (transformers' convert_openai_to_hf.py WHISPER_MAPPING, read the other way).
RENAMES = (
    ("blocks", "layers"), ("mlp.0", "fc1"), ("mlp.2", "fc2"), ("mlp_ln", "final_layer_norm"),
    (".attn.query", ".self_attn.q_proj"), (".attn.key", ".self_attn.k_proj"),
    (".attn.value", ".self_attn.v_proj"), (".attn.out", ".self_attn.out_proj"),
    (".attn_ln", ".self_attn_layer_norm"), (".cross_attn.query", ".encoder_attn.q_proj"),
    (".cross_attn.key", ".encoder_attn.k_proj"), (".cross_attn.value", ".encoder_attn.v_proj"),
    (".cross_attn.out", ".encoder_attn.out_proj"), (".cross_attn_ln", ".encoder_attn_layer_norm"),
    ("decoder.ln.", "decoder.layer_norm."), ("ln_post", "layer_norm"),
    ("token_embedding", "embed_tokens"), ("positional_embedding", "embed_positions.weight"),
)
TIED_HEAD = "proj_out.weight"  # transformers' output layer; openai-whisper reuses the embedding


def checkpoint_name(name: str) -> str:
    """The transformers checkpoint's key of an openai-whisper parameter."""
    for old, new in RENAMES:
        name = name.replace(old, new)
    return "model." + name


def dimensions(config: dict[str, Any]) -> ModelDimensions:
    """openai-whisper's sizes from a transformers config.json."""
    from whisper.model import ModelDimensions

    try:
        return ModelDimensions(
            n_mels=config["num_mel_bins"], n_audio_ctx=config["max_source_positions"],
            n_audio_state=config["d_model"], n_audio_head=config["encoder_attention_heads"],
            n_audio_layer=config["encoder_layers"], n_vocab=config["vocab_size"],
            n_text_ctx=config["max_target_positions"], n_text_state=config["d_model"],
            n_text_head=config["decoder_attention_heads"], n_text_layer=config["decoder_layers"])
    except KeyError as err:
        raise ValueError(f"config.json has no {err}") from err


def converted(state: dict[str, Any], model: Whisper) -> dict[str, Any]:
    """The checkpoint's tensors under openai-whisper's names; ValueError naming the keys (in
    the checkpoint's names) unless every parameter is there with its shape and nothing else."""
    import torch

    wanted = {checkpoint_name(k): (k, v.shape) for k, v in model.state_dict().items()}
    missing = [k for k in wanted if k not in state]
    unexpected = [k for k in state if k not in wanted and k != TIED_HEAD]
    resized = [k for k, (_, shape) in wanted.items() if k in state and state[k].shape != shape]
    embedding = checkpoint_name("decoder.token_embedding.weight")
    if TIED_HEAD in state and embedding in state and not torch.equal(state[TIED_HEAD],
                                                                     state[embedding]):
        unexpected.append(f"{TIED_HEAD} (untied from the token embedding)")
    problems = [f"{label} {', '.join(keys[:3])}{' …' if len(keys) > 3 else ''}"
                for label, keys in (("missing", missing), ("unexpected", unexpected),
                                    ("wrong shape", resized)) if keys]
    if problems:
        raise ValueError(f"{WEIGHTS} is not this Whisper: {'; '.join(problems)}")
    return {name: state[key] for key, (name, _) in wanted.items()}


def alignment_dump(heads: list[list[int]], layers: int, per_layer: int) -> bytes:
    """The cross-attention heads that follow the words in time (generation_config.json's
    `alignment_heads`, [layer, head] pairs) as `Whisper.set_alignment_heads` takes them."""
    mask = np.zeros((layers, per_layer), bool)
    for layer, head in heads:
        mask[layer, head] = True
    return base64.b85encode(gzip.compress(mask.tobytes()))


def load_whisper(folder: Path, device: str = "cpu") -> Whisper:
    """openai-whisper's model from a transformers Whisper checkpoint folder, in eval mode.

    The weights stay float32 as openai-whisper's own loader keeps them; on a GPU its fp16
    decoding casts them per layer."""
    from safetensors.torch import load_file
    from whisper.model import Whisper

    config = json.loads((folder / "config.json").read_text())
    model = Whisper(dimensions(config))
    try:
        state = load_file(folder / WEIGHTS)
    except Exception as err:  # truncated, or not safetensors: the library raises its own type
        raise ValueError(f"{WEIGHTS} is not a safetensors file") from err
    model.load_state_dict(converted(state, model), strict=True)
    generation = folder / "generation_config.json"
    # Without them openai-whisper times words with every head of the later half of layers.
    if generation.exists() and (heads := json.loads(generation.read_text()).get(
            "alignment_heads")):
        model.set_alignment_heads(alignment_dump(heads, model.dims.n_text_layer,
                                                 model.dims.n_text_head))
    return model.to(device).eval()


class OpenAIWhisperTurbo(NeuralBackend, Transcriber):
    """Multilingual speech recognition with language detection, on openai-whisper."""

    name = "openai-whisper-large-v3-turbo"
    task = "speech_recognition"
    model = "Whisper large-v3-turbo (openai-whisper)"
    license = "MIT"
    install_hint = "audiogpt models pull speech_recognition"
    requires = ("whisper", "safetensors", "faster_whisper")  # its VAD cuts the windows
    prefers_gpu = True
    entry = CatalogEntry("openai-whisper-large-v3-turbo", "openai/whisper-large-v3-turbo",
                         ("config.json", "generation_config.json", WEIGHTS), size="1.6 GB",
                         license="MIT")
    _model: Any = None

    def load(self) -> None:
        self._device = torch_device()
        try:
            self._model = load_whisper(self.folder, self._device)
        except (OSError, ValueError) as err:
            raise BackendUnavailable(self.model, f"{self.install_hint} (the installed "
                                                 f"checkpoint does not load: {err})") from err
        # openai-whisper hooks its key/value cache into the shared model for each decode.
        self._lock = threading.Lock()

    def transcribe(self, audio: Audio, language: str | None = None,
                   word_timestamps: bool = False) -> Transcript:
        """Each window of at most WINDOW_SECONDS (cut in pauses, as for faster-whisper) goes
        through openai-whisper's own 30 s sliding decode, so the log-mel features of a long
        recording are never all in memory; the first window's language holds for the rest."""
        import whisper
        from whisper.tokenizer import LANGUAGES

        detected = language.lower() if language else None
        if detected and detected not in tuple(LANGUAGES)[:self._model.num_languages]:
            raise Unsupported(f"{self.model} does not know the language {language!r}")
        found: list[Segment] = []
        for start, end in speech_windows(audio):
            stop.check()
            with self._lock:
                heard = whisper.transcribe(
                    self._model, audio.samples[start:end], language=detected,
                    word_timestamps=word_timestamps, fp16=self._device == "cuda",
                    beam_size=BEAM_SIZE, best_of=BEAM_SIZE, condition_on_previous_text=False)
            offset, length = start / audio.sample_rate, (end - start) / audio.sample_rate
            # A timestamp past the window's end points into the padding: clip it there.
            found += [Segment(float(min(s["start"], length) + offset),
                              float(min(s["end"], length) + offset), s["text"].strip())
                      for s in heard["segments"] if s["text"].strip()]
            detected = detected or heard["language"]
        return Transcript(" ".join(s.text for s in found), detected or "en", found)
