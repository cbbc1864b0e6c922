"""Asking when unsure: a request the router finds as likely to mean one task as another gets
a short question naming both readings, and the next message picks one.

The question's plan carries both readings' steps (`Plan.choices`), so they are stored with
the turn in the channel's memory and survive a restart. The answer picks one by ordinal
("the first", "yes the second one"), by naming its task ("transcribe", "describe the
sounds"), or by "yes" alone (the first, likelier, reading); anything else, and any message
with a file, is a new request.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core_agent.planning.base import PlanningContext
from core_agent.types import Plan, PlanStep
from tasks import TASKS

FIRST = re.compile(r"\b(first|1st|former|1|yes|yeah|yep|sure|ok|okay)\b")
SECOND = re.compile(r"\b(second|2nd|latter|other|two|2|last)\b|\b(no|not)\b.{0,10}\b(first|1st)\b")
SHORT = 6  # words: a longer answer that names no reading is a new request
PICKED = 0.5  # the trained router's P for the task of the reading named by its words


def question(first: Plan, second: Plan) -> Plan:
    """The question offering two plans, likelier first."""
    offers = [TASKS[plan.steps[-1].task].asking.offer for plan in (first, second)]
    return Plan(reply=f"Do you want me to {offers[0]}, or {offers[1]}?",
                choices=[first.steps, second.steps])


def pending(context: PlanningContext) -> list[list[PlanStep]]:
    """The readings the bot's last reply asked about, if the last user turn was a question's."""
    last = next((turn for turn in reversed(context.history) if turn.role == "user"), None)
    return last.choices if last is not None else []


def answered(context: PlanningContext, text: str,
             likelihood: Callable[[], dict[str, float]]) -> Plan | None:
    """The reading the answer picks; None when the message is no answer to a question."""
    choices = pending(context)
    if len(choices) != 2 or context.attachments:  # a new file makes it a new request
        return None
    prob = likelihood()
    named = [max(prob.get(step.task, 0.0) for step in steps) for steps in choices]
    pick: int | None = None
    if max(named) >= PICKED and abs(named[0] - named[1]) >= PICKED / 2:
        pick = 0 if named[0] > named[1] else 1
    elif len(text.split()) <= SHORT:
        if SECOND.search(text):
            pick = 1
        elif FIRST.search(text):
            pick = 0
    if pick is None:
        return None
    return Plan(steps=[PlanStep(task=s.task, args=dict(s.args)) for s in choices[pick]])
