"""The tasks: one folder per task, and here the list of them.

A task's folder holds all it is: `__init__.py` its spec (typed arguments, inputs and
outputs, how a command menu words it, how people ask for it), `backends.py` the models that
serve it, best first, and `step.py` how a worker runs it. Each layer collects its part from
the folders `ORDER` names, so adding a task is its folder and one line here.
"""

from __future__ import annotations

from collections.abc import Collection
from importlib import import_module

from core_agent.errors import InputRejected, TaskUnsupported
from core_agent.types import Artifact
from tasks.base import Args, TaskSpec

# In the order menus and listings show them.
ORDER = (
    "speech_recognition",
    "speech_translation",
    "text_to_speech",
    "style_transfer",
    "speech_enhancement",
    "speech_separation",
    "mono_to_binaural",
    "audio_inpainting",
    "sound_extraction",
    "target_sound_detection",
    "sound_detection",
    "talking_head",
    "text_to_audio",
    "audio_to_text",
    "image_to_audio",
    "singing_synthesis",
    "text_to_music",
    "audio_edit",
)


def part_of(task: str, module: str, name: str) -> object:
    """`name` from one module of a task's folder ("" for the folder's own, the spec's)."""
    return getattr(import_module(f"tasks.{task}{'.' + module if module else ''}"), name)


def _spec(task: str) -> TaskSpec:
    spec = part_of(task, "", "SPEC")
    assert isinstance(spec, TaskSpec) and spec.id == task, task
    return spec


TASKS: dict[str, TaskSpec] = {task: _spec(task) for task in ORDER}


def get_task(task_id: str) -> TaskSpec:
    """The spec for a task id, or TaskUnsupported."""
    try:
        return TASKS[task_id]
    except KeyError:
        raise TaskUnsupported(
            f"I don't know a task called {task_id!r}. Known tasks: {', '.join(TASKS)}."
        ) from None


def made_by(artifact: Artifact) -> TaskSpec | None:
    """The task whose job made an artifact; None for uploads."""
    return TASKS.get(artifact.producer.removeprefix("job:")) \
        if artifact.producer.startswith("job:") else None


def plan_too_long(steps: int, cap: int) -> InputRejected:
    """The refusal of a request for more steps than one message may ask for."""
    return InputRejected(f"That asks for {steps} steps; I do up to {cap} in one message. "
                         "Split it into smaller requests.", code="plan-too-long")


def media_refs(spec: TaskSpec, args: Args) -> dict[str, str]:
    """The media-reference arguments of a step, by argument name."""
    return {
        name: value
        for name, info in spec.args.model_fields.items()
        if info.metadata and any(getattr(m, "pattern", None) for m in info.metadata)
        and isinstance(value := getattr(args, name), str)
    }


def title_of(task: str) -> str:
    """A task's title for users ("Transcribe speech"); an unknown id as it is."""
    return TASKS[task].title if task in TASKS else task


def capabilities_text(available: Collection[str] | None = None) -> str:
    """What the bot can do, for greetings, /help and declined requests: the tasks installed
    here first, then those a model could be added for (all alike when not known)."""
    def line(spec: TaskSpec) -> str:
        return f"• {spec.title}: {spec.description[0].lower()}{spec.description[1:]}"

    ready = [s for s in TASKS.values() if available is None or s.id in available]
    text = "I work with audio. Send a voice note or a file, or ask me to:\n" + "\n".join(
        line(spec) for spec in ready)
    more = [s.title for s in TASKS.values() if s not in ready]
    if more:
        text += ("\nNot installed here (the server's admin can add them; “audiogpt tasks” "
                 "shows how): " + ", ".join(more).lower() + ".")
    return text
