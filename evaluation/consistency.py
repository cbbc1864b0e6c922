"""Consistency: many phrasings per task, planned zero-shot, scored on tasks and arguments.

Each case gives the request, the kinds of files attached (handles a1, a2, ... in that
order) and the expected tasks with the arguments that matter. A case's tasks are right
when the plan's tasks equal them in order; each expected argument is right when the plan
has it: numbers within 1e-6, words equal after case and punctuation are set aside, or for
descriptions (query, prompt) the expected words inside the planned ones.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from core_agent.errors import AudioGPTError
from core_agent.planning import Planner, PlanningContext
from core_agent.types import Artifact, Kind, Plan
from evaluation import Tick, quiet

MIME = {"audio": "audio/ogg", "video": "video/mp4", "image": "image/jpeg", "file": "audio/midi"}
DESCRIPTIONS = {"query", "prompt"}  # free words: the expected ones must appear in the plan's


def load_cases(tasks: Iterable[str] | None = None) -> list[dict[str, Any]]:
    """The packaged consistency cases, optionally only those of some tasks."""
    text = resources.files("evaluation").joinpath("data/consistency.json").read_text("utf-8")
    cases: list[dict[str, Any]] = json.loads(text)
    wanted = set(tasks or [])
    return [c for c in cases if not wanted or c["task"] in wanted]


def case_context(case: dict[str, Any]) -> PlanningContext:
    """The planning context a case describes: its attachments as this turn's uploads."""
    uploads = [Artifact(id=f"eval{i}", handle=f"a{i}", kind=Kind(kind), mime=MIME[kind],
                        path=Path(f"/eval/a{i}"), producer="upload", label=f"{kind}{i}",
                        duration=None if kind == "image" else 6.0)
               for i, kind in enumerate(case.get("attachments", []), start=1)]
    return PlanningContext(text=case["text"], attachments=uploads)


def _words(value: Any) -> str:
    return " ".join(re.sub(r"[^\w\s#]", " ", str(value).lower()).split())


def arg_matches(key: str, wanted: Any, got: Any) -> bool:
    """Whether a planned argument value counts as the expected one."""
    if got is None:
        return False
    if isinstance(wanted, bool) or isinstance(got, bool):
        return wanted is got
    if isinstance(wanted, int | float):
        return isinstance(got, int | float) and math.isclose(got, wanted, abs_tol=1e-6)
    if key in DESCRIPTIONS:
        return f" {_words(wanted)} " in f" {_words(got)} "
    return _words(wanted) == _words(got)


def score_case(plan: Plan, expect: dict[str, Any]) -> dict[str, Any]:
    """Task choice right or not, and the expected arguments matched (counted when the tasks
    are right; with a wrong task every expected argument counts as missed)."""
    got = [s.task for s in plan.steps]
    task_ok = got == expect["tasks"]
    wanted_args = expect.get("args", [])
    total = sum(len(a) for a in wanted_args)
    matched, missed = 0, []
    for index, wanted in enumerate(wanted_args):
        step = plan.steps[index] if index < len(plan.steps) else None
        for key, value in wanted.items():
            if task_ok and step is not None and arg_matches(key, value, step.args.get(key)):
                matched += 1
            else:
                missed.append(f"{key}={value!r} ({_planned(plan, index, key, task_ok)})")
    return {"task_ok": task_ok, "args_total": total, "args_matched": matched,
            "exact": task_ok and matched == total, "missed": missed}


def _planned(plan: Plan, index: int, key: str, task_ok: bool) -> str:
    """What the plan really had where an expected argument was missed."""
    if index >= len(plan.steps):
        return "the plan has no step for it"
    args = plan.steps[index].args
    got = f"got {args[key]!r}" if key in args else "not in the plan"
    return got if task_ok else f"{got}, but the plan's tasks are {[s.task for s in plan.steps]}"


def shown(plan: Plan) -> str:
    """A plan in one line."""
    if not plan.steps:
        return f"reply: {(plan.reply or '').strip()[:70]!r}"
    return " -> ".join(f"{s.task}{json.dumps(s.args, ensure_ascii=False)}" for s in plan.steps)


async def run_consistency(planner: Planner, tasks: Iterable[str] | None = None,
                          tick: Tick = quiet) -> dict[str, Any]:
    """Plan every case once (zero-shot, a fresh context each) and score it; `tick` hears
    the count done after each task's cases."""
    rows: list[dict[str, Any]] = []
    cases = load_cases(tasks)
    for number, case in enumerate(cases, start=1):
        try:
            plan = await planner.plan(case_context(case))
            error = None
        except AudioGPTError as err:  # an LLM that fails to plan scores as a miss
            plan, error = Plan(reply=err.message), err.code
        rows.append({"task": case["task"], "text": case["text"],
                     "expected": case["expect"], "planned": shown(plan), "error": error,
                     **score_case(plan, case["expect"])})
        if number == len(cases) or cases[number]["task"] != case["task"]:
            tick(number, len(cases))
    return {"planner": getattr(planner, "name", "?"), "cases": rows,
            "per_task": summarise(rows), "overall": totals(rows)}


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Task accuracy, argument accuracy and exact-plan rate over some cases."""
    n = len(rows)
    args_total = sum(r["args_total"] for r in rows)
    return {"cases": n,
            "task_accuracy": sum(r["task_ok"] for r in rows) / n if n else 0.0,
            "argument_accuracy": (sum(r["args_matched"] for r in rows) / args_total
                                  if args_total else 1.0),
            "exact": sum(r["exact"] for r in rows) / n if n else 0.0}


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Totals per task, in the order the cases list the tasks."""
    order = list(dict.fromkeys(r["task"] for r in rows))
    return {task: totals([r for r in rows if r["task"] == task]) for task in order}
