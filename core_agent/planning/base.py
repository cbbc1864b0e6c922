"""The planner interface: what a planner reads, what it returns, and the embeddings it may use.

Two planners implement it: `planning.llm` (OpenAI-compatible tool calling) and
`planning.offline` (sentence embeddings and argument extraction, no network);
`planning.factory.make_planner` picks one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pydantic import BaseModel, Field

from core_agent.types import Artifact, Plan, Turn

if TYPE_CHECKING:  # for the annotation only: the interface loads no tensor library
    import numpy as np


class PlanningContext(BaseModel):
    """Everything a planner may read: this turn, and the channel's memory."""

    text: str
    attachments: list[Artifact] = Field(default_factory=list)  # this turn's uploads
    artifacts: list[Artifact] = Field(default_factory=list)  # earlier ones, oldest first
    history: list[Turn] = Field(default_factory=list)  # recent turns, oldest first
    replying_to: list[str] = Field(default_factory=list)  # handles of the post replied to
    replied_text: str | None = None  # the words of the post replied to
    available: list[str] | None = None  # the tasks installed here (None: not known)


class Planner(Protocol):
    """Turns a request in context into a plan of tool calls, or a plain answer."""

    name: str

    async def plan(self, context: PlanningContext) -> Plan: ...


class Embedder(Protocol):
    """Sentence embeddings (rows L2-normalised), supplied from `models/`."""

    def embed(self, texts: list[str]) -> np.ndarray: ...
