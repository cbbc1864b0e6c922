"""The example bank the router scores text against: every task's phrasings (in its spec,
and the training phrasings of `router_phrases.json`) and chat's, embedded, with the router
trained on them (`learned`). Embedding its ~1,100 phrasings and the fit take several CPU
seconds, so they are done once per embedder and process, and a file may keep the vectors and
the fit between processes (each `audiogpt ask` is one). The file is used while the phrasings
and the fit's settings are the ones it was made from and the embedder still gives its
vector for one of them; otherwise the bank is embedded again and the file rewritten.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core_agent.planning.base import Embedder
from core_agent.planning.offline.cues import cue_hits, normalise
from core_agent.planning.offline.learned import TRAINING, Classifier, train
from core_agent.planning.offline.phrases import CHAT
from tasks import TASKS

log = logging.getLogger(__name__)
PHRASES = Path(__file__).with_name("router_phrases.json")  # label -> phrasings
SAME_VECTOR = 1e-4  # largest difference, per component, of the check phrasing's vector
# The bank's key and vectors by embedder, for the process's other planners.
_EMBEDDED: weakref.WeakKeyDictionary[Embedder, tuple[str, Bank]] = (
    weakref.WeakKeyDictionary())
_EMBEDDING = threading.Lock()  # a turn and the start-up preload embed it once between them


@dataclass(frozen=True)
class Bank:
    """One row per example phrasing."""

    labels: list[str]  # a task id, or "chat:<kind>"
    vectors: np.ndarray  # [rows, dimensions], rows L2-normalised
    router: Classifier  # trained on these rows


def examples() -> tuple[list[str], list[str]]:
    """The labels and the phrasings, row by row: each task's examples and chat's, then the
    router's training phrasings."""
    by_label = {**{task: spec.asking.phrasings for task, spec in TASKS.items()},
                **{f"chat:{kind}": phrasings for kind, phrasings in CHAT.items()}}
    trained = json.loads(PHRASES.read_text(encoding="utf-8"))
    rows = [(label, phrasing) for source in (by_label, trained)
            for label, phrasings in source.items() for phrasing in phrasings]
    return [label for label, _ in rows], [phrasing for _, phrasing in rows]


def embed_bank(embedder: Embedder, kept: Path | None = None) -> Bank:
    """The bank embedded and its router trained: as this embedder already did in this process
    (planners of several runtimes), or as the file `kept` still holds it, else anew (and
    written there)."""
    labels, phrasings = examples()
    key = hashlib.sha256(json.dumps([labels, phrasings, TRAINING]).encode()).hexdigest()
    with _EMBEDDING:
        done = _EMBEDDED.get(embedder)
        bank = done[1] if done and done[0] == key else None
        if bank is None and kept:
            bank = _read(kept, key, embedder, phrasings[0], labels)
        if bank is None:
            vectors = embedder.embed(phrasings)
            bank = Bank(labels, vectors,
                        train(labels, vectors, [cue_hits(normalise(p)) for p in phrasings]))
            if kept:
                _write(kept, key, bank)
        _EMBEDDED[embedder] = (key, bank)
    return bank


def _read(kept: Path, key: str, embedder: Embedder, check: str, labels: list[str]
          ) -> Bank | None:
    try:
        with kept.open("rb") as file, np.load(file) as saved:
            if str(saved["key"]) != key:
                return None
            vectors = np.asarray(saved["vectors"])
            router = Classifier([str(n) for n in saved["names"]], np.asarray(saved["weights"]),
                                np.asarray(saved["bias"]), float(saved["temperature"]))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # none yet, or not ours
        return None
    # Vectors of another model, or of another version of this one, would misroute.
    if not np.allclose(embedder.embed([check])[0], vectors[0], rtol=0, atol=SAME_VECTOR):
        return None
    return Bank(labels, vectors, router)


def _write(kept: Path, key: str, bank: Bank) -> None:
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.part")  # processes may race
    router = bank.router
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as out:
            np.savez(out, key=np.array(key), vectors=bank.vectors, names=np.array(router.labels),
                     weights=router.weights, bias=router.bias,
                     temperature=np.array(router.temperature))
        partial.replace(kept)
    except OSError as err:  # a read-only data folder: the next process embeds it again
        log.warning("could not keep the planner's example vectors in %s: %s", kept, err)
