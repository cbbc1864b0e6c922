"""The trained router: probabilities over every task and kind of chat, calibrated on
phrasings held back from its fit."""

from __future__ import annotations

import numpy as np

from core_agent.planning.offline.bank import embed_bank, examples
from core_agent.planning.offline.cues import cue_hits, normalise
from core_agent.planning.offline.learned import features, fit, held_back, softmax
from models.embeddings import MiniLMEmbedder
from tasks import TASKS


def test_probabilities_cover_every_label(embedder: MiniLMEmbedder) -> None:
    router = embed_bank(embedder).router
    text = normalise("could u jot down what my teacher says in this")
    prob = router.probabilities(embedder.embed([text])[0], cue_hits(text))
    assert set(TASKS) < set(prob) and {"chat:decline", "chat:greeting"} < set(prob)
    assert abs(sum(prob.values()) - 1.0) < 1e-9
    assert max(prob, key=lambda k: prob[k]) == "speech_recognition"


def test_the_temperature_fits_phrasings_held_back(embedder: MiniLMEmbedder) -> None:
    """On phrasings the first fit never saw, the calibrated temperature's log-likelihood
    beats the raw logits' (what makes the margin to ask at mean the same for every text)."""
    bank = embed_bank(embedder)
    names = bank.router.labels
    y = np.array([names.index(label) for label in bank.labels])
    x = features(bank.vectors, [cue_hits(normalise(p)) for p in examples()[1]])
    test = held_back(y)
    weights, bias = fit(x[~test], y[~test], len(names))
    logits = x[test] @ weights + bias

    def nll(t: float) -> float:
        return float(-np.log(softmax(logits / t)[np.arange(len(logits)), y[test]]).mean())

    assert nll(bank.router.temperature) < nll(1.0)
