"""The held-out set: chat requests (with earlier files, turns and this turn's uploads) that
the offline planner was never tuned on, scored on tasks, arguments and declines, with the
confusion between tasks. A request the planner asks about instead of acting counts as
neither right nor wrong; the share asked is reported beside.

There are two sets, living with the tests (tests/core_agent/planning/), so a source checkout
has them and an installed package does not: the first (heldout_cases.json), whose misses have
been published, and a fresh one (heldout_fresh.json) written by someone who never saw the
planner, its phrasings or its tuning cases. Their case format is the planner's test cases':
the kinds of earlier artifacts ("artifacts") and of this turn's uploads ("attachments"),
numbered a1, a2... in that order, and the history turns naming them.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core_agent.planning import Planner, PlanningContext
from core_agent.types import Artifact, Kind, Plan, Turn

SETS_DIR = Path(__file__).parents[1] / "tests" / "core_agent" / "planning"
HELDOUT = SETS_DIR / "heldout_cases.json"
HELDOUT_FRESH = SETS_DIR / "heldout_fresh.json"
HELDOUT_SETS = {"first": HELDOUT, "fresh": HELDOUT_FRESH}  # what `audiogpt eval` reports
MIME = {"audio": "audio/ogg", "video": "video/mp4", "image": "image/jpeg"}


def artifact(number: int, kind: str, producer: str = "upload") -> Artifact:
    """A stored file as memory hands it to the planner."""
    return Artifact(id=f"id{number}", handle=f"a{number}", kind=Kind(kind), mime=MIME[kind],
                    path=Path(f"/srv/media/a{number}"), producer=producer, duration=4.0)


def context(text: str, attachments: Sequence[str] = (),
            artifacts: Sequence[dict[str, str]] = (),
            history: Sequence[dict[str, Any]] = ()) -> PlanningContext:
    """A planning context with earlier artifacts numbered first, then this turn's uploads."""
    earlier = [artifact(i, a["kind"], a["producer"]) for i, a in enumerate(artifacts, start=1)]
    fresh = [artifact(len(earlier) + i, kind) for i, kind in enumerate(attachments, start=1)]
    return PlanningContext(text=text, attachments=fresh, artifacts=earlier,
                           history=[Turn.model_validate(t) for t in history])


def case_context(case: dict[str, Any]) -> PlanningContext:
    """The context a case describes."""
    return context(case["text"], case.get("attachments", []), case.get("artifacts", []),
                   case.get("history", []))


def matches(plan: Plan, expect: dict[str, Any]) -> bool:
    """Routed as expected (`routed`), and every expected argument equal (floats within
    1e-6)."""
    return routed(plan, expect) and not wrong_arguments(plan, expect)


def wrong_arguments(plan: Plan, expect: dict[str, Any]) -> list[str]:
    """The expected arguments the plan's steps got wrong or left out, as "task.argument"."""
    wrong = []
    for step, wanted in zip(plan.steps, expect.get("args", []), strict=False):
        for key, value in wanted.items():
            got = step.args.get(key)
            same = (isinstance(value, float) and isinstance(got, int | float)
                    and math.isclose(got, value, abs_tol=1e-6)) or got == value
            if not same:
                wrong.append(f"{step.task}.{key}")
    return wrong


def routed(plan: Plan, expect: dict[str, Any]) -> bool:
    """The expected tasks in order; a case with none wants a reply and no steps."""
    if not expect["tasks"]:
        return not plan.steps and bool((plan.reply or "").strip())
    return [s.task for s in plan.steps] == expect["tasks"]


def named(tasks: list[str]) -> str:
    """A plan's tasks for the confusion table."""
    return " + ".join(tasks) or "(declined)"


def load_heldout(path: Path = HELDOUT) -> list[dict[str, Any]]:
    """A held-out set's cases; none outside a source checkout."""
    if not path.is_file():
        return []
    cases: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["cases"]
    return cases


async def run_heldout(planner: Planner, cases: list[dict[str, Any]] | None = None
                      ) -> dict[str, Any]:
    """Plan every case in its context and score it; the confusions between tasks, and the
    arguments missed where the tasks were right, most frequent first."""
    cases = load_heldout() if cases is None else cases
    confusions: Counter[str] = Counter()
    misread: Counter[str] = Counter()
    right = args = declined = asked = asked_declines = 0
    for case in cases:
        plan, expect = await planner.plan(case_context(case)), case["expect"]
        if plan.choices:
            asked += 1
            asked_declines += not expect["tasks"]
            continue
        if routed(plan, expect):
            right += 1
            declined += not expect["tasks"]
            wrong = wrong_arguments(plan, expect)
            misread.update(wrong)
            args += not wrong
        else:
            confusions[f"{named(expect['tasks'])} -> {named([s.task for s in plan.steps])}"] += 1
    scored = len(cases) - asked
    declines = sum(not c["expect"]["tasks"] for c in cases) - asked_declines
    return {"cases": len(cases), "asked": asked, "scored": scored, "tasks_right": right,
            "args_right": args, "declines": declines, "declined_right": declined,
            "task_accuracy": right / scored if scored else 0.0,
            "argument_accuracy": args / scored if scored else 0.0,
            "decline_accuracy": declined / declines if declines else 0.0,
            "asked_rate": asked / len(cases) if cases else 0.0,
            "confusion": confusions.most_common(), "argument_misses": misread.most_common()}


async def run_heldout_sets(planner: Planner) -> dict[str, dict[str, Any]]:
    """Every held-out set this checkout has, scored, by name."""
    return {name: await run_heldout(planner, cases) for name, path in HELDOUT_SETS.items()
            if (cases := load_heldout(path))}


def summary(label: str, r: dict[str, Any]) -> str:
    """A set's scores in one line, with the counts behind each share."""
    return (f"{label}: tasks {r['tasks_right']}/{r['scored']} = {r['task_accuracy']:.1%}, "
            f"tasks and arguments {r['args_right']}/{r['scored']} = "
            f"{r['argument_accuracy']:.1%}, declined correctly {r['declined_right']}/"
            f"{r['declines']} = {r['decline_accuracy']:.1%}, asked {r['asked']}/{r['cases']} = "
            f"{r['asked_rate']:.1%}")
