"""The offline planner on the fresh held-out set (heldout_fresh.json).

The first held-out set's misses were published while the planner was being improved, so its
figure can drift towards the set. This one was written later by someone who never saw the
planner's code, its phrasings or its tuning cases, and it is never tuned on: it gives the
honest figure. Its floors are low, to catch a regression; the figure itself is reported
(bench/README.md, `audiogpt eval --part heldout`).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.types import HANDLE, STEP_REF
from evaluation.heldout import HELDOUT_FRESH, case_context, load_heldout
from models.embeddings import MiniLMEmbedder
from tasks import TASKS
from tests.core_agent.planning.test_heldout import Floors, scores_above

CASES = load_heldout(HELDOUT_FRESH)
# Measured first on 2026-12-04, as the set was first run (tasks 92.2%, tasks and arguments
# 85.8%, declines 92.6%, asked 0.8%), then after that day's planner work (92.5%, 86.5%,
# 94.4%, 0.8%; bench/README.md); the floors sit well under that.
FLOORS = Floors(tasks=0.80, args=0.75, declined=0.85, asked=0.08)


async def test_fresh_heldout_accuracy(embedder: MiniLMEmbedder) -> None:
    """Task accuracy, argument accuracy and declines on the fresh set stay above floors (a
    request the planner asks about counts as neither right nor wrong), and questions stay
    rare."""
    await scores_above(OfflinePlanner(embedder), CASES, "offline planner, fresh held-out set",
                       FLOORS)


def test_fresh_heldout_coverage() -> None:
    """Every task, chains, follow-ups on earlier files and declines are in the set, and no
    request repeats."""
    counts = Counter(task for c in CASES for task in c["expect"]["tasks"])
    assert set(counts) == set(TASKS), set(TASKS) ^ set(counts)
    assert len(CASES) >= 300
    assert sum(len(c["expect"]["tasks"]) >= 2 for c in CASES) >= 25
    assert sum(bool(c.get("history") or c.get("artifacts")) for c in CASES) >= 40
    assert sum(not c["expect"]["tasks"] for c in CASES) >= 40
    assert len({c["text"] for c in CASES}) == len(CASES)


def validate_given(task: str, args: dict[str, Any]) -> None:
    """Each argument a case gives, checked against its task's schema one by one (a case
    need not give them all)."""
    model = TASKS[task].args
    blank = model.model_construct()
    for name, value in args.items():
        model.__pydantic_validator__.validate_assignment(blank, name, value)


def test_every_expected_argument_is_one_its_task_takes() -> None:
    """Each expected step's arguments are its task's, valid by its schema, and every handle
    a case names (in its arguments or its history) is a file of its context; a step names
    only earlier steps."""
    for case in CASES:
        expect, context = case["expect"], case_context(case)
        handles = {a.handle for a in [*context.artifacts, *context.attachments]}
        assert len(expect.get("args", [])) <= len(expect["tasks"]), case["text"]
        for number, (task, args) in enumerate(zip(expect["tasks"], expect.get("args", []),
                                                  strict=False), start=1):
            assert set(args) <= set(TASKS[task].args.model_fields), case["text"]
            validate_given(task, args)
            for value in args.values():
                if isinstance(value, str) and (step := STEP_REF.match(value)):
                    assert int(step[1]) < number, case["text"]
                elif isinstance(value, str) and HANDLE.match(value):
                    assert value in handles, case["text"]
        for turn in context.history:
            named = [*turn.artifacts, *(v for s in turn.steps for v in s.args.values()
                                        if isinstance(v, str) and HANDLE.match(v))]
            assert set(named) <= handles, case["text"]
