"""Stages 2 and 3, task analysis and model assignment: the planner interface.

Two planners implement it: `planner_llm` (OpenAI-compatible tool calling) and
`planner_offline` (sentence embeddings and argument extraction, no network).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from core_agent.config import Settings
from core_agent.types import Artifact, Plan, Turn


class PlanningContext(BaseModel):
    """Everything a planner may read: this turn, and the channel's memory."""

    text: str
    attachments: list[Artifact] = Field(default_factory=list)  # this turn's uploads
    artifacts: list[Artifact] = Field(default_factory=list)  # earlier ones, oldest first
    history: list[Turn] = Field(default_factory=list)  # recent turns, oldest first
    replying_to: list[str] = Field(default_factory=list)  # handles of the post replied to


class Planner(Protocol):
    """Turns a request in context into a plan of tool calls, or a plain answer."""

    name: str

    async def plan(self, context: PlanningContext) -> Plan: ...


class Embedder(Protocol):
    """Sentence embeddings (rows L2-normalised), supplied from `models/`."""

    def embed(self, texts: list[str]) -> np.ndarray: ...


def make_planner(settings: Settings, embedder: Embedder) -> Planner:
    """The LLM planner when one is configured, else the offline planner."""
    if settings.use_llm:
        from core_agent.planning.llm import LLMPlanner

        return LLMPlanner(settings)
    from core_agent.planning.offline.planner import OfflinePlanner

    return OfflinePlanner(embedder, settings.max_plan_steps)
