"""Routing: which task, or which kind of chat, a piece of request text asks for.

The text (the whole request, and each clause of it) is embedded and compared with example
phrasings of every task (in its spec, and `router_phrases.json`) and of chat: a label's
score is its nearest phrasing's similarity plus the trained router's probability for it
(`learned`; the blend routed more of the held-out set than either alone, bench/README.md).
Keyword cues add to a task's score, and a task whose input is nowhere in the chat, or that
would ignore a file sent with this turn, scores lower. When the router finds two tasks about
as likely, the route names the other as its runner-up, for the planner to ask.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core_agent.planning.base import Embedder, PlanningContext
from core_agent.planning.offline.bank import Bank, embed_bank
from core_agent.planning.offline.cues import cue_hits
from core_agent.planning.offline.extraction.words import spoken_text
from core_agent.planning.offline.media import SOURCES, media_fields, required
from core_agent.types import Kind
from tasks import TASKS

CUE_BOOST = 0.35
MISSING_INPUT = -0.4  # the task's input is nowhere in the chat: more than a cue adds
UNUSED_UPLOAD = -0.2  # a kind of file came with this turn and the task would ignore it
MIN_SCORE = 0.45  # below this nothing routes: chat or decline
ATTACHED_CHAT_MARGIN = 0.1
ATTACHED_CHAT_LEAD = 0.3  # in P: how much likelier chat must be than a cued task with a file
LOW_SCORE = 0.33
CHAT_LEAD = 0.12
CLAUSE_MIN = 0.5
PROBABILITY_WEIGHT = 0.3  # the trained router's P(label), added to the nearest phrasing's
ASK_MARGIN = 0.2  # the likeliest two tasks closer than this (in P): ask which one
ASK_PLAUSIBLE = 0.25  # ... when each is at least this likely


@dataclass
class Route:
    """Where one piece of text goes: a task, or a chat answer of some kind."""

    task: str | None
    chat: str | None
    score: float
    cued: bool
    runner_up: str | None = None  # a second task, as likely: ask which one is meant


def available(context: PlanningContext) -> set[Kind]:
    """Kinds of media anywhere in the chat."""
    return {a.kind for a in [*context.artifacts, *context.attachments]}


class Router:
    """Scores text against the example bank, embedded on first use (or read from the file
    `bank_file` keeps it in), and the keyword cues."""

    def __init__(self, embedder: Embedder, bank_file: Path | None = None) -> None:
        self._embedder, self._bank_file = embedder, bank_file
        self._bank: Bank | None = None

    def prepare(self) -> None:
        """Load the embedder and embed the example bank, if not yet done."""
        if self._bank is None:
            self._bank = embed_bank(self._embedder, self._bank_file)

    def vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of the texts, after the example bank on first use."""
        self.prepare()
        return dict(zip(texts, self._embedder.embed(texts), strict=True))

    def probabilities(self, text: str, vector: np.ndarray) -> dict[str, float]:
        """The trained router's P(label) for a text: a task id, or "chat:<kind>"."""
        assert self._bank is not None
        return self._bank.router.probabilities(vector, cue_hits(text))

    def route(self, text: str, vector: np.ndarray, context: PlanningContext) -> Route:
        """The best task for a text, or the chat kind it resembles more, with the runner-up
        task when the trained router finds the two too close to call."""
        assert self._bank is not None
        sims = self._bank.vectors @ vector
        prob = self.probabilities(text, vector)
        best = dict.fromkeys(prob, -1.0)
        for label, sim in zip(self._bank.labels, sims, strict=True):
            best[label] = max(best[label], float(sim))
        best = {label: sim + PROBABILITY_WEIGHT * prob[label] for label, sim in best.items()}
        have = available(context)
        fresh = {a.kind for a in context.attachments}
        cues = cue_hits(text)
        # Words to say are audio in the making for a talking head (speech is made first).
        voiced = have | {Kind.AUDIO} if spoken_text(text) else have
        shifts = {task: adjust(task, task in cues, voiced if task == "talking_head" else have,
                               fresh) for task in TASKS}
        scores = {task: best[task] + shifts[task] for task in TASKS}
        task = max(scores, key=lambda t: scores[t])
        chat = max((k for k in best if k.startswith("chat:")), key=lambda k: best[k])
        # With a file attached, chat is only the answer when it clearly fits better; a modest
        # score still routes when it is well ahead of every chat phrasing.
        margin = ATTACHED_CHAT_MARGIN if fresh else 0.0
        ahead = scores[task] >= LOW_SCORE and scores[task] - best[chat] >= CHAT_LEAD
        # A cue word in chat ("do you like jazz?") routes only if the trained router, which
        # weighs the cue, finds the task likelier than the chat.
        chatty = prob[chat] > prob[task] + (ATTACHED_CHAT_LEAD if fresh else 0.0)
        if (chatty and task in cues) or (task not in cues and not ahead and (
                scores[task] < MIN_SCORE - margin or best[chat] > scores[task] + margin)):
            return Route(None, chat.removeprefix("chat:"), best[chat], False)
        return Route(task, None, scores[task], task in cues,
                     runner_up(task, prob, shifts, cues))


def runner_up(task: str, prob: dict[str, float], shifts: dict[str, float], cues: set[str]
              ) -> str | None:
    """The other task the text may well mean: both likely (by the trained router) and close,
    and nothing in the chat or the cues counting against either."""
    other = max((t for t in TASKS if t != task), key=lambda t: prob[t])
    close = abs(prob[task] - prob[other]) < ASK_MARGIN and prob[other] >= ASK_PLAUSIBLE
    fits = shifts[task] >= 0 and shifts[other] >= 0 and (other in cues or task not in cues)
    return other if close and fits and prob[task] >= ASK_PLAUSIBLE else None


def adjust(task: str, cued: bool, have: set[Kind], fresh: set[Kind]) -> float:
    """Keyword cues up; tasks whose input is missing, or that ignore this turn's files, down."""
    bonus = CUE_BOOST if cued else 0.0
    needed = [SOURCES[f] for f in media_fields(task) if required(task, f)]
    if any(not have & set(kinds) for kinds in needed):
        bonus += MISSING_INPUT
    uses = {k for f in media_fields(task) for k in SOURCES[f]}
    if fresh - uses:
        bonus += UNUSED_UPLOAD
    return bonus
