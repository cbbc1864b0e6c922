"""The offline planner on a held-out set of chat requests (heldout_cases.json).

The set was written after the planner was tuned on planner_cases.json and is never used
for tuning: it measures how the planner does on phrasings it has not seen. The case format
and scoring are `evaluation.heldout`'s (`audiogpt eval --part heldout` reports the same).
"""

from __future__ import annotations

from collections import Counter

from core_agent.planning.offline.planner import OfflinePlanner
from evaluation.heldout import load_heldout, run_heldout, summary
from models.embeddings import MiniLMEmbedder
from tasks import TASKS
from tests.conftest import report

CASES = load_heldout()
# Floors a few points under what was measured on 2026-12-04 (tasks 92.6%, tasks and
# arguments 89.4%, declines 97.6%, asked 0.8%; bench/README.md), not issue 21's goal of 95%
# and 93%: they catch a regression, and raising them needs a better planner, never edits to
# this set.
MIN_TASKS = 0.89
MIN_ARGS = 0.86
MIN_DECLINED = 0.92
MAX_ASKED = 0.05  # questions instead of plans: issue 21 wants them rare


async def test_heldout_accuracy(embedder: MiniLMEmbedder) -> None:
    """Task accuracy, argument accuracy and declines on the held-out set stay above floors
    (a request the planner asks about counts as neither right nor wrong), and questions stay
    rare."""
    r = await run_heldout(OfflinePlanner(embedder), CASES)
    line = summary("offline planner, held-out set", r)
    report(line, *(f"  {count} × {pair}" for pair, count in r["confusion"]))
    assert r["task_accuracy"] >= MIN_TASKS and r["argument_accuracy"] >= MIN_ARGS, line
    assert r["decline_accuracy"] >= MIN_DECLINED and r["asked_rate"] <= MAX_ASKED, line


def test_heldout_coverage() -> None:
    """Every task, chains, follow-ups on earlier files and declines are in the set."""
    counts = Counter(task for c in CASES for task in c["expect"]["tasks"])
    assert set(counts) == set(TASKS), set(TASKS) - set(counts)
    assert len(CASES) >= 300
    assert sum(len(c["expect"]["tasks"]) >= 2 for c in CASES) >= 20
    assert sum(bool(c.get("history") or c.get("artifacts")) for c in CASES) >= 30
    assert sum(not c["expect"]["tasks"] for c in CASES) >= 30
    assert len({c["text"] for c in CASES}) == len(CASES)
