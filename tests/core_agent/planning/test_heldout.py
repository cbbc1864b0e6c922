"""The offline planner on a held-out set of chat requests (heldout_cases.json).

The set was written after the planner was tuned on planner_cases.json and is never used
for tuning: it measures how the planner does on phrasings it has not seen. The case format
and scoring are test_offline.py's.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.types import Plan
from models.embeddings import MiniLMEmbedder
from tasks import TASKS
from tests.conftest import report
from tests.core_agent.planning.test_offline import case_context, matches

CASES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "heldout_cases.json").read_text(encoding="utf-8"))["cases"]
# Floors a few points under what was measured on 2026-12-03 (tasks 89.3%, tasks and arguments
# 86.1%, declines 97.6%; bench/README.md), not issue 21's goal of 95% and 93%: they catch a
# regression, and raising them needs a better planner, never edits to this set.
MIN_TASKS = 0.86
MIN_ARGS = 0.83
MIN_DECLINED = 0.92
MAX_ASKED = 0.05  # questions instead of plans: issue 21 wants them rare


def routed(plan: Plan, expect: dict[str, Any]) -> bool:
    """The expected tasks in order; a case with none wants a reply and no steps."""
    if not expect["tasks"]:
        return not plan.steps and bool((plan.reply or "").strip())
    return [s.task for s in plan.steps] == expect["tasks"]


def named(tasks: list[str]) -> str:
    """A plan's tasks for the confusion table."""
    return " + ".join(tasks) or "(declined)"


async def test_heldout_accuracy(embedder: MiniLMEmbedder) -> None:
    """Task accuracy, argument accuracy and declines on the held-out set stay above floors
    (a request the planner asks about counts as neither right nor wrong), and questions stay
    rare."""
    planner = OfflinePlanner(embedder)
    confusions: Counter[str] = Counter()
    n_tasks = n_args = n_declined = n_asked = asked_declines = 0
    for case in CASES:
        plan = await planner.plan(case_context(case))
        expect = case["expect"]
        if plan.choices:  # a question: neither right nor wrong, counted as asked
            n_asked += 1
            asked_declines += not expect["tasks"]
            continue
        if routed(plan, expect):
            n_tasks += 1
            n_declined += not expect["tasks"]
        else:
            confusions[f"{named(expect['tasks'])} -> {named([s.task for s in plan.steps])}"] += 1
        n_args += matches(plan, expect)
    n = len(CASES) - n_asked
    n_decline = sum(not c["expect"]["tasks"] for c in CASES) - asked_declines
    tasks, args, declined = n_tasks / n, n_args / n, n_declined / n_decline
    summary = (f"offline planner, held-out set: tasks {n_tasks}/{n} = {tasks:.1%}, "
               f"tasks and arguments {n_args}/{n} = {args:.1%}, "
               f"declined correctly {n_declined}/{n_decline} = {declined:.1%}, "
               f"asked {n_asked}/{len(CASES)} = {n_asked / len(CASES):.1%}")
    top = [f"  {count} × {pair}" for pair, count in confusions.most_common()]
    report(summary, *top)
    assert tasks >= MIN_TASKS and args >= MIN_ARGS and declined >= MIN_DECLINED, summary
    assert n_asked / len(CASES) <= MAX_ASKED, summary


def test_heldout_coverage() -> None:
    """Every task, chains, follow-ups on earlier files and declines are in the set."""
    counts = Counter(task for c in CASES for task in c["expect"]["tasks"])
    assert set(counts) == set(TASKS), set(TASKS) - set(counts)
    assert len(CASES) >= 300
    assert sum(len(c["expect"]["tasks"]) >= 2 for c in CASES) >= 20
    assert sum(bool(c.get("history") or c.get("artifacts")) for c in CASES) >= 30
    assert sum(not c["expect"]["tasks"] for c in CASES) >= 30
    assert len({c["text"] for c in CASES}) == len(CASES)
