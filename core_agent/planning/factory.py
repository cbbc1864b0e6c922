"""Choosing the planner: the one place that imports both backends (and so their SDKs), each
only when it is the one chosen, so the offline planner's turns never import the OpenAI SDK."""

from __future__ import annotations

from core_agent.config import Settings
from core_agent.planning.base import Embedder, Planner


def make_planner(settings: Settings, embedder: Embedder) -> Planner:
    """The LLM planner when one is configured, else the offline planner."""
    if settings.use_llm:
        from core_agent.planning.llm import LLMPlanner

        return LLMPlanner(settings)
    from core_agent.planning.offline.planner import OfflinePlanner

    return OfflinePlanner(embedder, settings.max_plan_steps,
                          bank_file=settings.cache_dir / "planner-bank.npz")
