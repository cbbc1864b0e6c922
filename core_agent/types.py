"""Plain data that crosses every boundary: made by adapters, read by everyone else, and
handed out by memory in place of its table rows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

STEP_REF = re.compile(r"^step(\d+)$")
HANDLE = re.compile(r"^a(\d+)$")
HANDLE_IN_TEXT = re.compile(r"\ba\d+\b")  # a handle a request names ("make a2 slower")


class Kind(StrEnum):
    """What an artifact holds."""

    AUDIO = "audio"
    VIDEO = "video"
    IMAGE = "image"
    TEXT = "text"
    FILE = "file"


class Attachment(BaseModel):
    """A file a user sent, as the adapter received it (already on local disk). What the
    platform claims it is counts for nothing: the agent reads the content."""

    path: Path
    filename: str


class Message(BaseModel):
    """One user turn from any platform."""

    channel_id: str  # platform-qualified, e.g. "telegram:12345" or "cli:default"
    text: str = ""
    attachments: list[Attachment] = Field(default_factory=list)
    author: str = "user"  # display name
    platform: str = "cli"
    platform_message_id: str | None = None
    user_id: str | None = None  # platform-qualified, e.g. "telegram:user:42"; quotas count it
    scopes: list[str] = Field(default_factory=list)  # where it was said: chat, team, guild, roles
    replying_to: list[str] = Field(default_factory=list)  # handles the replied-to post carried
    replied_text: str | None = None  # the words of the post replied to ("read this aloud")


SPOKEN_REPLY = "spoken-reply"  # the producer of a reply's voice copy, no result of its own


class Artifact(BaseModel):
    """A stored media file, addressed by its per-channel handle ("a3"), never by path."""

    id: str
    handle: str
    kind: Kind
    mime: str
    path: Path
    producer: str  # "upload", "job:<task>", or SPOKEN_REPLY
    label: str = ""
    duration: float | None = None  # seconds
    sample_rate: int | None = None  # Hz
    channels: int | None = None
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    def describe(self) -> str:
        """A one-line summary for planners and replies."""
        parts = [f"{self.handle}: {self.kind.value}"]
        if self.duration is not None:
            parts.append(f"{self.duration:.1f} s")
        parts.append(f"from {self.producer}")
        if self.label:
            parts.append(f'"{self.label}"')
        return ", ".join(parts)


class PlanStep(BaseModel):
    """One tool call: a task id and typed arguments.

    Media arguments hold a reference: an artifact handle ("a3") or the output of an
    earlier step of the same plan ("step1", 1-based).
    """

    task: str
    args: dict[str, Any] = Field(default_factory=dict)


class Plan(BaseModel):
    """What the planner decided: tool calls in order, or a plain answer."""

    steps: list[PlanStep] = Field(default_factory=list)
    reply: str | None = None  # a direct text answer when no tool is needed
    planner: str = ""
    # A question's readings, in the order the reply names them: the next turn picks one.
    choices: list[list[PlanStep]] = Field(default_factory=list)


class StepStatus(StrEnum):
    """A step's life: planned (dry run), then a job's states."""

    PLANNED = "planned"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class StepResult(BaseModel):
    """What one executed step produced."""

    job_id: str
    task: str
    args: dict[str, Any]
    status: StepStatus
    text: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)
    error_code: str | None = None
    error: str | None = None


class Stage(StrEnum):
    """The paper's four stages, in order."""

    MODALITY = "modality_transformation"
    ANALYSIS = "task_analysis"
    ASSIGNMENT = "model_assignment"
    RESPONSE = "response_generation"


STAGES: list[Stage] = list(Stage)


class Event(BaseModel):
    """Progress an adapter can show: a stage starting or finishing, a step's state."""

    stage: Stage
    message: str
    job_id: str | None = None
    step: int | None = None
    total_steps: int | None = None
    note: str | None = None  # "about 40 s on this machine, 2 jobs ahead"


class Turn(BaseModel):
    """A past exchange in a channel, as planners see it."""

    role: str  # "user" or "assistant"
    text: str
    artifacts: list[str] = Field(default_factory=list)  # handles
    steps: list[PlanStep] = Field(default_factory=list)
    choices: list[list[PlanStep]] = Field(default_factory=list)  # what its reply asked about


class Reply(BaseModel):
    """The answer posted back into the thread the request came from."""

    channel_id: str
    text: str
    artifacts: list[Artifact] = Field(default_factory=list)
    steps: list[StepResult] = Field(default_factory=list)
    plan: Plan | None = None
    voice: Artifact | None = None  # the reply spoken, when the channel wants voice replies
    voice_only: bool = False  # the voice stands for the text: post the text only if it fails
    error_code: str | None = None
    message_id: str | None = None


class Channel(BaseModel):
    """A conversation as memory keeps it: a chat, a thread, a terminal session."""

    id: str  # platform-qualified
    platform: str
    voice_replies: bool = False
    voice_only: bool = False  # the spoken reply stands for the text
    created_at: datetime


class StoredMessage(BaseModel):
    """One stored turn, user's or assistant's."""

    id: str
    channel_id: str
    role: str  # user | assistant
    author: str = ""
    user_id: str | None = None
    text: str = ""
    reply_to: str | None = None  # the user turn an assistant's answers
    platform_message_id: str | None = None
    status: str  # received | answered | failed | stored
    error_code: str | None = None
    plan: dict[str, Any] | None = None
    created_at: datetime


class Job(BaseModel):
    """One job as recorded: a plan step, the input's transcript or the spoken reply."""

    id: str
    channel_id: str
    message_id: str
    step: int  # 1-based position in the plan; 0 outside it
    purpose: str  # plan | input (ASR) | voice (reply)
    task: str
    args: dict[str, Any] = Field(default_factory=dict)
    backend: str | None = None
    status: StepStatus
    attempts: int = 0
    outputs: dict[str, Any] | None = None
    error_code: str | None = None
    error: str | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None


class JobEvent(BaseModel):
    """Progress a job recorded."""

    job_id: str
    stage: str
    message: str = ""
    created_at: datetime
