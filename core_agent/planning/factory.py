"""Choosing the planner: the one place that imports both backends (and so their SDKs)."""

from __future__ import annotations

from core_agent.config import Settings
from core_agent.planning.base import Embedder, Planner
from core_agent.planning.llm import LLMPlanner
from core_agent.planning.offline.planner import OfflinePlanner


def make_planner(settings: Settings, embedder: Embedder) -> Planner:
    """The LLM planner when one is configured, else the offline planner."""
    if settings.use_llm:
        return LLMPlanner(settings)
    return OfflinePlanner(embedder, settings.max_plan_steps)
