"""The example bank's vectors are kept in a file between planners (processes), and used only
while they are what the embedder would make of today's phrasings."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np

from core_agent.planning import PlanningContext
from core_agent.planning.offline.bank import examples
from core_agent.planning.offline.planner import OfflinePlanner
from models.embeddings import MiniLMEmbedder


class CountingEmbedder:
    """An embedder noting how many texts each call embeds; `flip` makes it another model."""

    def __init__(self, inner: MiniLMEmbedder, flip: bool = False) -> None:
        self.inner, self.flip = inner, flip
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        vectors = self.inner.embed(texts)
        return vectors[:, ::-1].copy() if self.flip else vectors


def reply_to_hi(embedder: CountingEmbedder, kept: Path | None) -> str:
    """A fresh planner's answer to "hi", as a new process plans it."""
    planner = OfflinePlanner(embedder, bank_file=kept)
    return asyncio.run(planner.plan(PlanningContext(text="hi"))).reply or ""


def test_a_second_planner_reads_the_bank_instead_of_embedding_it(
        embedder: MiniLMEmbedder, tmp_path: Path) -> None:
    kept = tmp_path / "cache" / "planner-bank.npz"
    rows = len(examples()[1])
    first, second = CountingEmbedder(embedder), CountingEmbedder(embedder)
    answer = reply_to_hi(first, kept)
    assert first.calls == [rows, 1] and kept.is_file()
    assert reply_to_hi(second, kept) == answer  # the same routing from the file
    assert second.calls == [1, 1]  # one phrasing checked, then the request


def test_another_model_embeds_the_bank_again(embedder: MiniLMEmbedder,
                                                   tmp_path: Path) -> None:
    kept = tmp_path / "planner-bank.npz"
    rows = len(examples()[1])
    reply_to_hi(CountingEmbedder(embedder), kept)
    other = CountingEmbedder(embedder, flip=True)
    reply_to_hi(other, kept)
    assert other.calls == [1, rows, 1]
    with np.load(kept) as saved:  # and the file now holds the other model's vectors
        np.testing.assert_allclose(saved["vectors"], other.embed(examples()[1]), atol=1e-6)


def test_a_damaged_or_stale_file_is_replaced(embedder: MiniLMEmbedder,
                                                   tmp_path: Path) -> None:
    rows = len(examples()[1])
    damaged, stale = tmp_path / "damaged.npz", tmp_path / "stale.npz"
    damaged.write_bytes(b"PK\x03\x04 not a bank")
    np.savez(stale, key=np.array("phrasings of an older release"),
             vectors=embedder.embed(examples()[1]))
    for kept in (damaged, stale):
        counting = CountingEmbedder(embedder)
        assert reply_to_hi(counting, kept).startswith("Hi!")
        assert counting.calls == [rows, 1]
        with np.load(kept) as saved:
            assert saved["vectors"].shape == (rows, 384)


def test_an_unwritable_folder_still_plans(embedder: MiniLMEmbedder,
                                                tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    counting = CountingEmbedder(embedder)
    assert reply_to_hi(counting, blocked / "planner-bank.npz").startswith("Hi!")
    assert list(tmp_path.iterdir()) == [blocked]


def test_planners_sharing_an_embedder_embed_the_bank_once(embedder: MiniLMEmbedder) -> None:
    """Runtimes built in one process (tests, benchmarks) share the embedding as they share
    the model."""
    counting = CountingEmbedder(embedder)
    assert reply_to_hi(counting, None) == reply_to_hi(counting, None)
    assert counting.calls == [len(examples()[1]), 1, 1]
