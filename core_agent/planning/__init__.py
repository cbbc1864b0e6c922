"""Stages 2 and 3, task analysis and model assignment: the planners.

The interface (`base`) is re-exported here; `factory.make_planner` picks a backend:
`llm` (OpenAI-compatible tool calling) or `offline` (sentence embeddings and argument
extraction, no network). Only the backends import an SDK or a tensor library, so
importing the interface loads neither.
"""

from core_agent.planning.base import Embedder, Planner, PlanningContext

__all__ = ["Embedder", "Planner", "PlanningContext"]
