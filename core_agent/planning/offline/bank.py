"""The example bank the router scores text against: every task's phrasings (in its spec) and
chat's, embedded. Embedding its ~200 phrasings is most of a short process's planning (a CPU
second), so it is done once per embedder and process, and a file may keep the vectors
between processes (each `audiogpt ask` is one). The file is used while the phrasings are the
ones it was made from and the embedder still gives its vector for one of them; otherwise the
bank is embedded again and the file rewritten.
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
from core_agent.planning.offline.phrases import CHAT
from tasks import TASKS

log = logging.getLogger(__name__)
SAME_VECTOR = 1e-4  # largest difference, per component, of the check phrasing's vector
# The bank's key and vectors by embedder, for the process's other planners.
_EMBEDDED: weakref.WeakKeyDictionary[Embedder, tuple[str, np.ndarray]] = (
    weakref.WeakKeyDictionary())
_EMBEDDING = threading.Lock()  # a turn and the start-up preload embed it once between them


@dataclass(frozen=True)
class Bank:
    """One row per example phrasing."""

    labels: list[str]  # a task id, or "chat:<kind>"
    vectors: np.ndarray  # [rows, dimensions], rows L2-normalised


def examples() -> tuple[list[str], list[str]]:
    """The labels and the phrasings, row by row."""
    by_label = {**{task: spec.asking.phrasings for task, spec in TASKS.items()},
                **{f"chat:{kind}": phrasings for kind, phrasings in CHAT.items()}}
    rows = [(label, phrasing) for label, phrasings in by_label.items() for phrasing in phrasings]
    return [label for label, _ in rows], [phrasing for _, phrasing in rows]


def embed_bank(embedder: Embedder, kept: Path | None = None) -> Bank:
    """The bank embedded: as this embedder already did in this process (planners of several
    runtimes), or as the file `kept` still holds it, else anew (and written there)."""
    labels, phrasings = examples()
    key = hashlib.sha256(json.dumps([labels, phrasings]).encode()).hexdigest()
    with _EMBEDDING:
        done = _EMBEDDED.get(embedder)
        vectors = done[1] if done and done[0] == key else None
        if vectors is None and kept:
            vectors = _read(kept, key, embedder, phrasings[0])
        if vectors is None:
            vectors = embedder.embed(phrasings)
            if kept:
                _write(kept, key, vectors)
        _EMBEDDED[embedder] = (key, vectors)
    return Bank(labels, vectors)


def _read(kept: Path, key: str, embedder: Embedder, check: str) -> np.ndarray | None:
    try:
        with kept.open("rb") as file, np.load(file) as saved:
            if str(saved["key"]) != key:
                return None
            vectors = np.asarray(saved["vectors"])
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):  # none yet, or not ours
        return None
    # Vectors of another model, or of another version of this one, would misroute.
    if not np.allclose(embedder.embed([check])[0], vectors[0], rtol=0, atol=SAME_VECTOR):
        return None
    return vectors


def _write(kept: Path, key: str, vectors: np.ndarray) -> None:
    partial = kept.with_name(f"{kept.name}.{os.getpid()}.part")  # processes may race
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("wb") as out:
            np.savez(out, key=np.array(key), vectors=vectors)
        partial.replace(kept)
    except OSError as err:  # a read-only data folder: the next process embeds it again
        log.warning("could not keep the planner's example vectors in %s: %s", kept, err)
