"""Routing: which task, or which kind of chat, a piece of request text asks for.

The text (the whole request, and each clause of it) is embedded and compared with example
phrasings of every task (in its spec) and of chat; keyword cues add to a task's score, and a
task whose input is nowhere in the chat, or that would ignore a file sent with this turn,
scores lower.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core_agent.planning.base import Embedder, PlanningContext
from core_agent.planning.offline.bank import Bank, embed_bank
from core_agent.planning.offline.extraction.words import quoted, spoken_text
from core_agent.planning.offline.media import SOURCES, media_fields, required
from core_agent.types import Kind
from tasks import TASKS

CUE_RE = {task: re.compile(spec.asking.cue) for task, spec in TASKS.items()}
# Cues that mean something else in company: speed words describe speech that is asked for,
# and "what did he say" asks for a transcript, not for speech.
EDIT_VERB = re.compile(r"\b(trim|cut|crop|shorten|volume|revers|backwards|fade|convert|"
                       r"speed (it |this )?up|slow (it |this )?down|louder|quieter)")
ASKS_WHAT_SAID = re.compile(r"\bwhat\b.{0,25}\b(say|says|saying|said)\b|\byou (just )?said")
# "read the transcript": the text product is what to speak, not a task to run.
SPEAK_PRODUCT = re.compile(r"\b(read|say|speak)\b.{0,20}\b(transcript|translation|description|"
                           r"caption|text|result)")
TEXT_TASKS = {"speech_recognition", "speech_translation", "audio_to_text"}
CUE_BOOST = 0.35
MISSING_INPUT = -0.2  # the task's input is nowhere in the chat
UNUSED_UPLOAD = -0.2  # a kind of file came with this turn and the task would ignore it
MIN_SCORE = 0.45  # below this nothing routes: chat or decline
ATTACHED_CHAT_MARGIN = 0.1
LOW_SCORE = 0.33
CHAT_LEAD = 0.12
CLAUSE_MIN = 0.5
TYPOS = {"wat": "what", "pls": "please", "plz": "please", "u": "you", "ur": "your",
         "rn": "right now", "msg": "message", "vid": "video", "pic": "picture", "thx": "thanks",
         "ty": "thank you", "lol": "", "gimme": "give me", "smth": "something", "abt": "about",
         "2nd": "second"}
VOCAB = ("transcribe", "translate", "separate", "binaural", "denoise", "extract", "isolate",
         "describe", "caption", "enhance", "background", "spatial", "reverse", "backwards",
         "louder", "quieter", "volume", "convert", "speakers", "pronounce", "imitate",
         "animate", "subtitles", "music", "noise", "noisy", "timestamps", "sound")


@dataclass
class Route:
    """Where one piece of text goes: a task, or a chat answer of some kind."""

    task: str | None
    chat: str | None
    score: float
    cued: bool


def normalise(text: str) -> str:
    """Lower case, common chat abbreviations spelled out, near-miss key words corrected."""
    words = []
    for word in re.findall(r"[\w'?.:;,\-\"“”]+", text.lower()):
        bare = word.strip("?.:;,\"“”")
        fixed = TYPOS.get(bare, bare)
        if len(fixed) >= 6 and not any(fixed.startswith(v) or v.startswith(fixed) for v in VOCAB):
            fixed = next(iter(difflib.get_close_matches(fixed, VOCAB, 1, 0.85)), fixed)
        words.append(word.replace(bare, fixed) if bare else word)
    return " ".join(w for w in words if w)


def cue_hits(text: str) -> set[str]:
    """The tasks whose keyword cues the text carries."""
    hits = {task for task, cue in CUE_RE.items() if cue.search(text)}
    if ASKS_WHAT_SAID.search(text) and not quoted(text):
        hits.discard("text_to_speech")
        hits.add("speech_recognition")
    if "text_to_speech" in hits and SPEAK_PRODUCT.search(text):
        hits -= TEXT_TASKS
    if "text_to_speech" in hits and not EDIT_VERB.search(text):
        hits.discard("audio_edit")
    return hits


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

    def route(self, text: str, vector: np.ndarray, context: PlanningContext) -> Route:
        """The best task for a text, or the chat kind it resembles more."""
        assert self._bank is not None
        sims = self._bank.vectors @ vector
        best: dict[str, float] = {}
        for label, sim in zip(self._bank.labels, sims, strict=True):
            best[label] = max(best.get(label, -1.0), float(sim))
        have = available(context)
        fresh = {a.kind for a in context.attachments}
        cues = cue_hits(text)
        # Words to say are audio in the making for a talking head (speech is made first).
        voiced = have | {Kind.AUDIO} if spoken_text(text) else have
        scores = {task: best[task] + adjust(
            task, task in cues, voiced if task == "talking_head" else have, fresh)
            for task in TASKS}
        task = max(scores, key=lambda t: scores[t])
        chat = max((k for k in best if k.startswith("chat:")), key=lambda k: best[k])
        # With a file attached, chat is only the answer when it clearly fits better; a modest
        # score still routes when it is well ahead of every chat phrasing.
        margin = ATTACHED_CHAT_MARGIN if fresh else 0.0
        ahead = scores[task] >= LOW_SCORE and scores[task] - best[chat] >= CHAT_LEAD
        if task not in cues and not ahead and (scores[task] < MIN_SCORE - margin
                                               or best[chat] > scores[task] + margin):
            return Route(None, chat.removeprefix("chat:"), best[chat], False)
        return Route(task, None, scores[task], task in cues)


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
