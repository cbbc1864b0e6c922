"""Replays: "again", "same but slower", "now the second one" rerun the last steps.

Repeats ("again", "same but ...", "do the same") replay the steps of the most recent
turn that ran any, unless a cue names a new task: text_to_speech takes the new speed
(multiplied), pitch (added) and language, generators a new duration, and otherwise a
speed, pitch or volume change becomes an audio_edit step on the last output. A new
attachment or an ordinal's pick replaces the first step's input, so "now the second
one" alone reruns the last steps on that file.
"""

from __future__ import annotations

import re
from typing import Any

from core_agent.errors import TaskUnsupported
from core_agent.planning.base import PlanningContext
from core_agent.planning.offline.extraction.quantities import duration, gain_db, pitch, speed
from core_agent.planning.offline.extraction.words import language
from core_agent.planning.offline.media import NEEDS, ORDINAL, SOURCES, media_fields, pick
from core_agent.planning.offline.routing import Route
from core_agent.types import Kind, Plan, PlanStep
from tasks import TASKS

REPEAT = re.compile(r"\b(again|same (but|thing|again|for|with|as|in)|redo|repeat (that|it|this)|"
                    r"one more time|do the same|same$)\b")
ORDINAL_ONLY = re.compile(r"\b(now|and|what|how|about|the|one|clip|file|track|recording|please|"
                          r"do|also|ok|okay|same|for|with|too)\b|\W")
NOTHING_TO_REPEAT = "There's nothing to repeat yet: ask me for something first."


def last_steps(context: PlanningContext) -> list[PlanStep]:
    """The steps of the most recent turn that ran any."""
    return next((turn.steps for turn in reversed(context.history) if turn.steps), [])


def replay(context: PlanningContext, text: str, route: Route) -> Plan | None:
    """The last turn's steps again, changed as asked, for "again" or "now the second one"."""
    steps = last_steps(context)
    if not steps:
        return None
    ordinal_only = ORDINAL.search(text) and not ORDINAL_ONLY.sub(
        "", ORDINAL.sub("", text)).strip()
    asked_new = route.cued and route.task not in {"audio_edit", *(s.task for s in steps)}
    if not (ordinal_only or (REPEAT.search(text) and not asked_new)):
        return None
    copies = [PlanStep(task=s.task, args=dict(s.args)) for s in steps]
    first_media = next((f for f in media_fields(copies[0].task) if f in copies[0].args), None)
    if first_media and (context.attachments or ORDINAL.search(text)):
        if (ref := pick(context, SOURCES[first_media], text)) is None:
            return Plan(reply=f"I can't find that one. Please attach {NEEDS[first_media]}.")
        copies[0].args[first_media] = ref
    replayed = [*copies, *modify(copies, text)]
    try:
        for step in replayed:
            TASKS[step.task].validate(step.args)
    except TaskUnsupported as err:
        return Plan(reply=f"I couldn't repeat that. {err.message}")
    return Plan(steps=replayed)


def modify(steps: list[PlanStep], text: str) -> list[PlanStep]:
    """Apply speed, pitch, language and duration words to replayed steps; edits to add."""
    rate, shift, lang = speed(text), pitch(text), language(text)
    for step in steps:
        args = step.args
        if step.task == "text_to_speech":
            if rate:
                args["speed"] = round(min(4.0, max(0.25, args.get("speed", 1.0) * rate)), 3)
            if shift:
                args["pitch"] = min(12.0, max(-12.0, args.get("pitch", 0.0) + shift))
            if lang:
                args["language"] = lang
            rate = shift = None
        elif step.task in ("text_to_audio", "text_to_music", "image_to_audio") and (
                length := duration(text)):
            args["duration"] = length
    changes = [{"operation": "speed", "factor": rate}, {"operation": "pitch", "semitones": shift},
               {"operation": "volume", "gain_db": gain_db(text)}]
    added: list[PlanStep] = []
    if Kind.AUDIO in TASKS[steps[-1].task].outputs:
        for change in changes:
            if None not in change.values():
                added.append(edit(len(steps) + len(added), change))
    return added


def edit(index: int, args: dict[str, Any]) -> PlanStep:
    """An audio_edit step on the output of step `index`."""
    return PlanStep(task="audio_edit", args={"audio": f"step{index}", **args})
