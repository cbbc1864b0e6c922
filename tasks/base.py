"""What every task's spec is made of: typed arguments, the facts adapters show a task by,
and how people ask for it.

Argument models double as JSON Schema for LLM tool calling. Media arguments are
references (an artifact handle like "a3", or "step1" for an earlier step's output).
A spec also holds whether its sound is a voice and how a command menu words it, so no
adapter compares task ids, and what the offline planner knows of how people ask for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from core_agent.errors import TaskUnsupported
from core_agent.planning.offline.extraction.quantities import duration
from core_agent.planning.offline.extraction.words import generation_prompt, sound_query, unquoted
from core_agent.types import Kind

REF_HELP = "Artifact handle such as 'a3', or 'step1' for the output of step 1 of this plan."
MAX_QUANTITY = 1e6  # seconds, degrees, factors, decibels...: no argument comes near it
MAX_INTEGER = 2**32 - 1  # seeds: what sampling libraries take


class Args(BaseModel):
    """Base for task arguments: unknown keys are rejected, not silently dropped, and every
    number must be finite and of a sensible size, whatever the field's own bounds."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _sized(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return value
        limit = MAX_INTEGER if isinstance(value, int) else MAX_QUANTITY
        if abs(value) > limit:
            raise PydanticCustomError("number_too_large", f"Input should be between "
                                      f"-{limit:,.0f} and {limit:,.0f}")
        return value


def Ref(description: str = REF_HELP, **default: Any) -> Any:
    """A field holding a media reference."""
    return Field(description=description, pattern=r"^(a\d+|step\d+)$", **default)


class AudioIn(Args):
    audio: str = Ref()


def read_query(text: str) -> dict[str, Any]:
    """The sound a request asks about (QueryArgs)."""
    return {"query": sound_query(unquoted(text))}


class QueryArgs(AudioIn):
    query: str = Field(min_length=1, description="The sound described in words, e.g. 'dog bark'.")


class GenerateArgs(Args):
    prompt: str = Field(min_length=1, max_length=1000)
    duration: float = Field(5.0, gt=0, le=60, description="Seconds.")
    seed: int | None = None


def read_generation(text: str) -> dict[str, Any]:
    """What to generate and for how long (GenerateArgs)."""
    return {"prompt": generation_prompt(text), "duration": duration(unquoted(text))}


class Voice(StrEnum):
    """The human voice a task's sound is."""

    SPEECH = "speech"  # sent as a voice note, as a person's words would be
    SINGING = "singing"


@dataclass(frozen=True)
class Command:
    """How a command menu (Discord's slash commands) offers a task: the command's name,
    the request it stands for, worded the way people ask for the task ("{text}" is where
    the command's text goes), and what that text is."""

    name: str
    request: str
    text_help: str = ""


def phrases(block: str) -> list[str]:
    """Example phrasings written as one block, separated by semicolons."""
    return [" ".join(p.split()) for p in block.split(";") if p.strip()]


def no_arguments(text: str) -> dict[str, Any]:
    """The reader of a task whose only arguments are media."""
    return {}


@dataclass(frozen=True)
class Question:
    """What the offline planner asks when a request leaves out what the task needs: asked
    when `field` is missing from what was read (None: whenever the arguments don't hold)."""

    text: str
    field: str | None = None


SAY_WHAT = Question('What should I say? Put the words in quotes, e.g. say "see you at eight".',
                    "text")
WHICH_SOUND = Question('Which sound should I look for? Name it, e.g. "the dog barking".', "query")


@dataclass(frozen=True)
class Asking:
    """How people ask for a task, for the offline planner: example phrasings (one block,
    separated by semicolons, embedded and compared with a request), a keyword cue (a regular
    expression over the lower-cased request), how a question offering it as one reading of
    a request words it, the reader of the task's non-media arguments (absent values None),
    and the question for a request that leaves one out. Users' own wordings live in the
    planner's test set; keep these different from it."""

    examples: str
    cue: str
    offer: str  # the task as one reading of a request, in a question: "transcribe it"
    read: Callable[[str], dict[str, Any]] = no_arguments
    question: Question | None = None

    @property
    def phrasings(self) -> list[str]:
        """The example phrasings, one by one."""
        return phrases(self.examples)


@dataclass(frozen=True)
class TaskSpec:
    """One capability the bot offers."""

    id: str
    title: str
    description: str
    args: type[Args]
    inputs: tuple[Kind, ...]
    outputs: tuple[Kind, ...]
    command: Command
    asking: Asking
    voice: Voice | None = None  # its sound is a voice: shown as recording one while it runs
    # Seconds of work per second of media on a CPU, a cautious guess said until the task has
    # run here (core_agent/pace.py); None: no estimate before then.
    pace: float | None = None

    @property
    def speaks(self) -> bool:
        """Its sound is speech: it goes out as a voice note."""
        return self.voice == Voice.SPEECH

    def validate(self, args: dict[str, Any]) -> Args:
        """Typed arguments, or TaskUnsupported naming what is wrong."""
        try:
            return self.args.model_validate(args)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'args'}: {e['msg']}" for e in err.errors()
            )
            raise TaskUnsupported(f"Bad arguments for {self.id}: {problems}") from err

    def tool_schema(self) -> dict[str, Any]:
        """The OpenAI tool-calling definition of this task."""
        schema = self.args.model_json_schema()
        schema.pop("title", None)
        return {
            "type": "function",
            "function": {"name": self.id, "description": self.description, "parameters": schema},
        }
