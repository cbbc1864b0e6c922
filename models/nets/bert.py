"""BERT's encoder in numpy, read from a Hugging Face checkpoint folder (config.json,
model.safetensors, tokenizer.json) under its tensor names: the sentence embedder's
MiniLM runs on it without torch or transformers, which take seconds to import.

The arithmetic is transformers' `BertModel` in float32 (post-norm layers, exact GELU),
followed by sentence-transformers' mean pooling over the real tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

BATCH = 32  # texts per forward pass; sorted by length first, so little padding
# Abramowitz & Stegun 7.1.26: erf to 1.5e-7, below float32's resolution of GELU's input.
_ERF_P = 0.3275911
_ERF_A = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise (numpy has none)."""
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    poly = np.zeros_like(t)
    for coefficient in _ERF_A:
        poly = (poly + coefficient) * t
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))


class BertEncoder:
    """Mean-pooled token states of a BERT checkpoint, one row per text."""

    def __init__(self, folder: Path, max_tokens: int) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        assert config["hidden_act"] == "gelu" and config["position_embedding_type"] == "absolute"
        self.layers, self.heads = config["num_hidden_layers"], config["num_attention_heads"]
        self.hidden, self.eps = config["hidden_size"], config["layer_norm_eps"]
        self.w = load_file(str(folder / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.enable_padding(pad_id=config["pad_token_id"])  # to the batch's longest

    def encode(self, texts: list[str]) -> np.ndarray:
        """[len(texts), hidden] float32, in the order given."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.empty((len(texts), self.hidden), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chosen = order[start:start + BATCH]
            out[chosen] = self._pooled([texts[i] for i in chosen])
        return out

    def _pooled(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings])
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        w, tokens = self.w, ids.shape[1]
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:tokens]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        # Padding gets no attention: the most negative float before the softmax, as in BERT.
        blocked = (1.0 - mask)[:, None, None, :] * np.finfo(np.float32).min
        for layer in range(self.layers):
            x = self._layer(x, blocked, f"encoder.layer.{layer}.")
        return (x * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)

    def _layer(self, x: np.ndarray, blocked: np.ndarray, p: str) -> np.ndarray:
        batch, tokens, hidden = x.shape
        size = hidden // self.heads

        def heads(name: str) -> np.ndarray:
            return self._dense(x, p + f"attention.self.{name}").reshape(
                batch, tokens, self.heads, size).transpose(0, 2, 1, 3)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(size)) + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, hidden)
        x = self._norm(self._dense(context, p + "attention.output.dense") + x,
                       p + "attention.output.LayerNorm")
        h = self._dense(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + erf(h / np.float32(np.sqrt(2.0))))
        return self._norm(self._dense(h, p + "output.dense") + x, p + "output.LayerNorm")

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        # Flattened to 2-D: numpy hands a 2-D product to BLAS, a stacked one it may loop.
        flat = x.reshape(-1, x.shape[-1]) @ self.w[name + ".weight"].T + self.w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], -1)

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return ((x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"]
                + self.w[name + ".bias"]).astype(np.float32)
