"""The offline planner on a held-out set of chat requests (heldout_cases.json).

The set was written after the planner was tuned on planner_cases.json and is never used
for tuning: it measures how the planner does on phrasings it has not seen. The case format
and scoring are `evaluation.heldout`'s (`audiogpt eval --part heldout` reports the same).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from core_agent.planning.offline.planner import OfflinePlanner
from evaluation.heldout import load_heldout, run_heldout, summary
from evaluation.report import misread_line
from models.embeddings import MiniLMEmbedder
from tasks import TASKS
from tests.conftest import report

CASES = load_heldout()


@dataclass(frozen=True)
class Floors:
    """What a held-out set's figures must not fall under (asked: at most)."""

    tasks: float
    args: float
    declined: float
    asked: float


async def scores_above(planner: OfflinePlanner, cases: list[dict[str, Any]], label: str,
                       floors: Floors) -> None:
    """Score the planner on the cases, print the figures and the confusion, and check them
    against the floors."""
    r = await run_heldout(planner, cases)
    line = summary(label, r)
    report(line, *(f"  {count} × {pair}" for pair, count in r["confusion"]),
           f"  {misread_line(r)}")
    assert r["task_accuracy"] >= floors.tasks and r["argument_accuracy"] >= floors.args, line
    assert r["decline_accuracy"] >= floors.declined and r["asked_rate"] <= floors.asked, line


# Floors a few points under what was measured on 2026-12-04 (tasks 93.1%, tasks and
# arguments 90.0%, declines 97.6%, asked 0.8%; bench/README.md), not issue 21's goal of 95%
# and 93%: they catch a regression, and raising them needs a better planner, never edits to
# this set.
FLOORS = Floors(tasks=0.90, args=0.87, declined=0.92, asked=0.05)  # asking stays rare


async def test_heldout_accuracy(embedder: MiniLMEmbedder) -> None:
    """Task accuracy, argument accuracy and declines on the held-out set stay above floors
    (a request the planner asks about counts as neither right nor wrong), and questions stay
    rare."""
    await scores_above(OfflinePlanner(embedder), CASES, "offline planner, held-out set", FLOORS)


def test_heldout_coverage() -> None:
    """Every task, chains, follow-ups on earlier files and declines are in the set."""
    counts = Counter(task for c in CASES for task in c["expect"]["tasks"])
    assert set(counts) == set(TASKS), set(TASKS) - set(counts)
    assert len(CASES) >= 300
    assert sum(len(c["expect"]["tasks"]) >= 2 for c in CASES) >= 20
    assert sum(bool(c.get("history") or c.get("artifacts")) for c in CASES) >= 30
    assert sum(not c["expect"]["tasks"] for c in CASES) >= 30
    assert len({c["text"] for c in CASES}) == len(CASES)
