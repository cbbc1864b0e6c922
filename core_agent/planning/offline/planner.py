"""The offline planner: no language model and no network.

Each request is routed (`routing`) as a whole and clause by clause (`clauses`); an answer
to the bot's question picks the reading asked about (`asking`), a repeat replays earlier
steps (`replays`), a chain of confident clauses or the single task becomes steps (`steps`)
whose files `media` picks (or, when two tasks are as likely, a question naming both), and
anything else gets a chat reply.
A request with more clauses than a message may have steps is refused before anything is
routed.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import numpy as np

from core_agent.config import Settings
from core_agent.planning.base import Embedder, PlanningContext
from core_agent.planning.offline.asking import answered, question
from core_agent.planning.offline.clauses import STRONG_SPLIT, clauses, readings
from core_agent.planning.offline.cues import normalise
from core_agent.planning.offline.replays import NOTHING_TO_REPEAT, REPEAT, replay
from core_agent.planning.offline.routing import CLAUSE_MIN, Router
from core_agent.planning.offline.steps import build, implied_chain
from core_agent.types import Plan
from tasks import capabilities_text, plan_too_long

GREETING = "Hi! "
EMPTY = "What would you like me to do? Say \"help\" to see what I can do."
THANKS = "You're welcome! Send me a voice note or a file whenever you need something else."
DECLINE = ("Sorry, I can't help with that: I only work with audio. I can transcribe or "
           "translate voice notes, speak text, clean up recordings, make sounds and music, "
           "and more. Say \"help\" for the full list.")


class OfflinePlanner:
    """Plans without a language model: embeddings route, regular expressions fill arguments."""

    name = "offline"

    def __init__(self, embedder: Embedder,
                 max_steps: int = Settings.model_fields["max_plan_steps"].default,
                 bank_file: Path | None = None) -> None:
        self._router, self.max_steps = Router(embedder, bank_file), max_steps

    def prepare(self) -> None:
        """Load the embedder and its example bank now rather than in the first turn."""
        self._router.prepare()

    async def plan(self, context: PlanningContext) -> Plan:
        """Tool calls for the request, or a reply: chat, a decline, or a request for a file."""
        if not context.text.strip():
            return Plan(reply=EMPTY, planner=self.name)
        # Each connective starts a step: more than the cap is refused before anything is
        # embedded, and a finer reading past the cap (at a bare "and") is not built.
        if (asked := len(clauses(context.text, STRONG_SPLIT))) > self.max_steps:
            raise plan_too_long(asked, self.max_steps)
        parts = [part for part in readings(context.text) if len(part) <= self.max_steps]
        texts = [normalise(context.text), *(normalise(c) for part in parts for c, _ in part)]
        vectors = await asyncio.to_thread(self._router.vectors, texts)
        plan = self._decide(context, vectors, parts)
        plan.planner = self.name
        return plan

    def _decide(self, context: PlanningContext, vectors: dict[str, np.ndarray],
                parts: list[list[tuple[str, bool]]]) -> Plan:
        """A repeat, a chain, one step, or a chat reply."""
        text = normalise(context.text)
        if picked := answered(context, text,
                              lambda: self._router.probabilities(text, vectors[text])):
            return picked
        route = self._router.route(text, vectors[text], context)
        if (repeat := replay(context, text, route)) is not None:
            return repeat
        fallback: Plan | None = None
        for part in parts:
            routes = [self._router.route(normalise(c), vectors[normalise(c)], context)
                      for c, _ in part]
            tasks = [r.task for r in routes]
            if all(r.task and r.score >= CLAUSE_MIN and (r.cued or not weak)
                   for r, (_, weak) in zip(routes, part, strict=True)) and (
                    all(a != b or a == "audio_edit" for a, b in itertools.pairwise(tasks))):
                chain = build(context, [(r.task or "", c) for r, (c, _) in zip(routes, part,
                                                                                 strict=True)])
                if chain.steps:
                    return chain
                fallback = fallback or (None if any(w for _, w in part) else chain)
        if route.task is None:
            return Plan(reply=NOTHING_TO_REPEAT) if REPEAT.search(text) else chat_reply(
                route.chat or "decline", context.available)
        single = build(context, implied_chain(context, route.task))
        if route.runner_up and single.steps and (
                other := build(context, implied_chain(context, route.runner_up))).steps:
            return question(single, other)
        return single if single.steps or fallback is None else fallback


def chat_reply(kind: str, available: list[str] | None = None) -> Plan:
    """The answer to chat: capabilities for greetings and help (installed ones first), a
    thank-you, or a decline."""
    replies = {"greeting": GREETING + capabilities_text(available),
               "help": capabilities_text(available), "thanks": THANKS}
    return Plan(reply=replies.get(kind, DECLINE))
