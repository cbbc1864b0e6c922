"""Building a plan's steps: each task's arguments read from its clause, its media picked,
a speech step given the text of an earlier step, or a reply asking for what is missing."""

from __future__ import annotations

from typing import Any

from core_agent.errors import TaskUnsupported
from core_agent.planning.base import PlanningContext
from core_agent.planning.offline.cues import cue_hits, normalise, spelled
from core_agent.planning.offline.extraction.words import spoken_text
from core_agent.planning.offline.media import (
    NEEDS,
    SOURCES,
    chained_media,
    media_fields,
    pair_media,
    pick,
    required,
    score_media,
    separation_media,
)
from core_agent.planning.offline.replays import last_steps
from core_agent.types import HANDLE, HANDLE_IN_TEXT, Kind, Plan, PlanStep
from tasks import TASKS
from tasks.talking_head import wants_default_face


def implied_chain(context: PlanningContext, task: str) -> list[tuple[str, str]]:
    """One task, or speech first when a picture should say words and no audio came along."""
    text = context.text
    fresh = {a.kind for a in context.attachments}
    face = Kind.IMAGE in fresh or task == "talking_head" or (
        task == "text_to_speech" and "talking_head" in cue_hits(normalise(text)))
    if (task in ("talking_head", "text_to_speech") and face
            and not fresh & {Kind.AUDIO, Kind.VIDEO} and spoken_text(text)):
        return [("text_to_speech", text), ("talking_head", text)]
    return [(task, text)]


def build(context: PlanningContext, calls: list[tuple[str, str]]) -> Plan:
    """Steps with arguments and media filled in, or a reply saying what is missing."""
    steps: list[PlanStep] = []
    for task, text in calls:
        args = task_args(task, text)
        if task == "speech_separation":
            args.update(separation_media(context, steps, text))
        if task == "audio_edit" and args.get("operation") in ("mix", "concat"):
            args.update(pair_media(context, steps, text))
        for field in media_fields(task):
            if field in args or (task, field) == ("speech_separation", "reference") or (
                    (task, field) == ("talking_head", "image") and wants_default_face(text)):
                continue  # filled above; optional, or asked to be left out
            ref = score_media(context, text) if field == "score" else (
                chained_media(steps, field) or pick(context, SOURCES[field], text))
            if ref is not None:
                args[field] = ref
            elif (task, field) == ("talking_head", "audio") and (
                    again := default_face_again(context, text)) is not None:
                return again
            elif required(task, field):
                return Plan(reply=f"For that I need {NEEDS[field]}. Please attach it and ask "
                                  "again.")
        chained_text(steps, task, args)
        if "text" in TASKS[task].args.model_fields and "text" not in args and context.replied_text:
            args["text"] = context.replied_text  # "read this aloud", replying to a post
        try:
            TASKS[task].validate(args)
        except TaskUnsupported as err:
            return Plan(reply=missing_reply(task, args, err))
        steps.append(PlanStep(task=task, args=args))
        steps += [PlanStep(task=task, args={**args, field: handle})
                  for field, handle in each_named(context, task, args, text)]
    return Plan(steps=steps)


def default_face_again(context: PlanningContext, text: str) -> Plan | None:
    """"With your own face" and no audio to say: the last turn's talking head again, on the
    default face, its speech made anew (what a refused faceless picture is told to say)."""
    last = last_steps(context)
    if not wants_default_face(text) or not last or last[-1].task != "talking_head":
        return None
    steps = [PlanStep(task=s.task, args=dict(s.args)) for s in last]
    steps[-1].args.pop("image", None)
    return Plan(steps=steps)


def each_named(context: PlanningContext, task: str, args: dict[str, Any], text: str
               ) -> list[tuple[str, str]]:
    """The other files a one-file task is asked for by handle ("transcribe a1 and a2"): the
    step runs once for each (not for a mix or a join, which take two files at once)."""
    fields = media_fields(task)
    if len(fields) != 1 or "other" in args or not HANDLE.match(str(args.get(fields[0]))):
        return []
    kinds = SOURCES[fields[0]]
    fitting = {a.handle for a in [*context.artifacts, *context.attachments] if a.kind in kinds}
    named = list(dict.fromkeys(h for h in HANDLE_IN_TEXT.findall(text.lower()) if h in fitting))
    return [(fields[0], h) for h in named if h != args[fields[0]]] if len(named) > 1 else []


def task_args(task: str, text: str) -> dict[str, Any]:
    """The non-media arguments of a task read from the request; absent values left out."""
    return {k: v for k, v in TASKS[task].asking.read(spelled(text)).items() if v is not None}


def chained_text(steps: list[PlanStep], task: str, args: dict[str, Any]) -> None:
    """Give a speech step with no words of its own the text of the nearest earlier text step."""
    if task not in ("text_to_speech", "style_transfer") or "text" in args:
        return
    for index in range(len(steps), 0, -1):
        earlier = steps[index - 1]
        if Kind.TEXT in TASKS[earlier.task].outputs:
            args["text"] = f"step{index}"
            target = earlier.args.get("target_language")
            if task == "text_to_speech" and target and "language" not in args:
                args["language"] = target
            return


def missing_reply(task: str, args: dict[str, Any], err: TaskUnsupported) -> str:
    """Ask for what the request left out."""
    question = TASKS[task].asking.question
    if question and (question.field is None or question.field not in args):
        return question.text
    return f"I couldn't work out the details for that. {err.message}"
