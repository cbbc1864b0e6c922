"""A trained router: multinomial logistic regression over a text's sentence embedding and
its keyword cues, giving P(label) for every task and kind of chat.

It is fitted on the bank's phrasings (each task's examples, `router_phrases.json`, chat's).
Its temperature is calibrated on a fifth of them held back from a first fit, so that its
probabilities mean what they say on phrasings it has not seen; the model kept is then
fitted on all of them. Fitting takes about a CPU second, so the bank keeps the result with
its vectors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tasks import TASKS

CUE_WEIGHT = 0.5  # a cue's feature value, beside embedding components of about ±0.1
L2 = 1e-3  # weight decay per row
STEPS = 100  # full-batch gradient steps (Adam)
LEARNING_RATE = 0.2
HELD_BACK = 0.2  # share of each label's phrasings the temperature is calibrated on
TEMPERATURES = np.geomspace(0.25, 4.0, 41)
SEED = 21  # the split is the same in every process, so the kept fit is reproducible
# What a fit depends on besides its rows: a change here makes the bank refit.
TRAINING = [CUE_WEIGHT, L2, STEPS, LEARNING_RATE, HELD_BACK, SEED, len(TEMPERATURES)]


@dataclass(frozen=True)
class Classifier:
    """Weights over [embedding, cues] for each label; `temperature` divides the logits."""

    labels: list[str]
    weights: np.ndarray  # [features, labels]
    bias: np.ndarray  # [labels]
    temperature: float

    def probabilities(self, vector: np.ndarray, cues: set[str]) -> dict[str, float]:
        """P(label) for one embedded text and the cues it carries."""
        logits = features(vector[None, :], [cues]) @ self.weights + self.bias
        return dict(zip(self.labels, softmax(logits / self.temperature)[0].tolist(),
                        strict=True))


def features(vectors: np.ndarray, cues: list[set[str]]) -> np.ndarray:
    """Each row's embedding followed by one column per task, CUE_WEIGHT where it is cued."""
    cued = np.array([[CUE_WEIGHT if t in hits else 0.0 for t in TASKS] for hits in cues],
                    dtype=np.float64).reshape(len(cues), len(TASKS))
    return np.hstack([vectors.astype(np.float64), cued])


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def fit(x: np.ndarray, y: np.ndarray, n_labels: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights and bias minimising cross-entropy plus L2, by full-batch Adam."""
    onehot = np.eye(n_labels)[y]
    params = [np.zeros((x.shape[1], n_labels)), np.zeros(n_labels)]
    moments = [[np.zeros_like(p), np.zeros_like(p)] for p in params]
    for step in range(1, STEPS + 1):
        error = (softmax(x @ params[0] + params[1]) - onehot) / len(y)
        grads = [x.T @ error + L2 * params[0], error.sum(axis=0)]
        for p, g, m in zip(params, grads, moments, strict=True):
            m[0] = 0.9 * m[0] + 0.1 * g
            m[1] = 0.999 * m[1] + 0.001 * g * g
            p -= LEARNING_RATE * (m[0] / (1 - 0.9**step)) / (
                np.sqrt(m[1] / (1 - 0.999**step)) + 1e-8)
    return params[0], params[1]


def held_back(y: np.ndarray) -> np.ndarray:
    """A mask of about HELD_BACK of each label's rows."""
    rng = np.random.default_rng(SEED)
    mask = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        mask[rows[:max(1, round(HELD_BACK * len(rows)))]] = True
    return mask


def calibrate(x: np.ndarray, y: np.ndarray, n_labels: int) -> float:
    """The temperature minimising the held-back rows' negative log-likelihood under a fit on
    the rest."""
    test = held_back(y)
    weights, bias = fit(x[~test], y[~test], n_labels)
    logits = x[test] @ weights + bias
    rows = np.arange(int(test.sum()))

    def nll(t: float) -> float:
        return float(-np.log(softmax(logits / t)[rows, y[test]] + 1e-12).mean())

    return float(min(TEMPERATURES, key=nll))


def train(labels: list[str], vectors: np.ndarray, cues: list[set[str]]) -> Classifier:
    """The classifier for these rows (one label, vector and cue set each)."""
    names = sorted(set(labels))
    y = np.array([names.index(label) for label in labels])
    x = features(vectors, cues)
    temperature = calibrate(x, y, len(names))
    weights, bias = fit(x, y, len(names))
    return Classifier(names, weights, bias, temperature)
