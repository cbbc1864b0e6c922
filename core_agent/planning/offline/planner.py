"""The offline planner: sentence embeddings, keyword cues and argument extraction, no network.

Routing: the request (and each clause of it) is embedded and compared with example
phrasings of every task and of chat; keyword cues add to a task's score, and a task
whose input is nowhere in the chat scores lower. Clauses joined by "then", "and then",
", and", "after that" or ";" (a bare "and" only when both sides carry a cue) become a
chain when every clause routes confidently: a later step takes the previous step's
audio ("stepN"), or its text when it needs text it wasn't given. A request with more
clauses than a message may have steps is refused before anything is routed.

Media: a media argument takes a handle the text names ("a3") if it fits, else the newest
attachment of a fitting kind (audio and video for audio, images for image), else the
newest earlier artifact of that kind; "what you said/made" means the newest artifact a
job produced. No fitting file means a reply asking for one, never an invented handle.

Ordinals ("the second one", "the last clip", "2nd") count through the first of these
with 2+ files of the fitting kind: this turn's attachments; the files of the most
recent history turn holding 2+ of them; else every such file in the chat, earlier ones
in order, then this turn's.

Repeats ("again", "same but ...", "do the same") replay the steps of the most recent
turn that ran any, unless a cue names a new task: text_to_speech takes the new speed
(multiplied), pitch (added) and language, generators a new duration, and otherwise a
speed, pitch or volume change becomes an audio_edit step on the last output. A new
attachment or an ordinal's pick replaces the first step's input, so "now the second
one" alone reruns the last steps on that file.
"""

from __future__ import annotations

import asyncio
import difflib
import itertools
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from core_agent.config import Settings
from core_agent.errors import TaskUnsupported
from core_agent.planning.base import Embedder, PlanningContext
from core_agent.planning.offline.extraction import words as extract
from core_agent.planning.offline.phrases import CHAT, CUES, EXEMPLARS
from core_agent.tasks import TASKS, capabilities_text, plan_too_long
from core_agent.types import Artifact, Kind, Plan, PlanStep

CUE_RE = {task: re.compile(pattern) for task, pattern in CUES.items()}
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
STRONG_SPLIT = re.compile(r"\s*(?:;|,?\s*\band then\b|,?\s*\bthen\b|,?\s*\bafter that\b|"
                          r",?\s*\bafterwards\b|,\s*and\b|,\s*also\b)\s*", re.IGNORECASE)
WEAK_SPLIT = re.compile(r"\s+and\s+", re.IGNORECASE)
QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*?'(?!\w)")
REPEAT = re.compile(r"\b(again|same (but|thing|again|for|with|as|in)|redo|repeat (that|it|this)|"
                    r"one more time|do the same|same$)\b")
ORDINAL = re.compile(r"(?<!\d )(?<!\d)"  # not "1 second"
                     r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b"
                     r"(?!\s*(?:\d|few|half|bit|part|time|seconds?|minutes?|s\b))")
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
            "4th": 3, "fifth": 4, "5th": 4, "last": -1}
YOU_MADE = re.compile(r"\byou(?:'ve| have)? (?:just )?(?:said|made|sang|generated|created|did|"
                      r"sent|produced|spoke)|\byour (?:last |latest )?(?:reply|answer|voice ?note|"
                      r"message|audio|output|version|result)")
ORDINAL_ONLY = re.compile(r"\b(now|and|what|how|about|the|one|clip|file|track|recording|please|"
                          r"do|also|ok|okay|same|for|with|too)\b|\W")
# The handle of a clip of the wanted speaker, for target-speaker extraction.
REFERENCE = re.compile(r"\b(?:voice|speaker|person|speech|talker) (?:from|in|of|on) (a\d+)\b|"
                       r"\b(a\d+) (?:as|is) (?:the |a |my |just |only )?"
                       r"(?:reference|sample|example|him|her|them|me)\b|"
                       r"\breference (?:clip |recording |sample |file )?(?:is |= ?)?(a\d+)\b|"
                       r"\b(?:using|use|with|like|matching|matches) (a\d+)\b")
SOURCES = {"audio": (Kind.AUDIO, Kind.VIDEO), "reference": (Kind.AUDIO, Kind.VIDEO),
           "image": (Kind.IMAGE,), "score": (Kind.FILE,)}
NEEDS = {"audio": "the audio (a voice note or a sound file)",
         "reference": "a recording of the voice to use", "image": "a picture"}
# An earlier score is only used when the request points at it.
SCORE_WORDS = re.compile(r"(score|midi|musicxml|sheet music|notation)")
GREETING = "Hi! "
EMPTY = "What would you like me to do? Say \"help\" to see what I can do."
NOTHING_TO_REPEAT = "There's nothing to repeat yet: ask me for something first."
THANKS = "You're welcome! Send me a voice note or a file whenever you need something else."
DECLINE = ("Sorry, I can't help with that: I only work with audio. I can transcribe or "
           "translate voice notes, speak text, clean up recordings, make sounds and music, "
           "and more. Say \"help\" for the full list.")


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
    if ASKS_WHAT_SAID.search(text) and not extract.quoted(text):
        hits.discard("text_to_speech")
        hits.add("speech_recognition")
    if "text_to_speech" in hits and SPEAK_PRODUCT.search(text):
        hits -= TEXT_TASKS
    if "text_to_speech" in hits and not EDIT_VERB.search(text):
        hits.discard("audio_edit")
    return hits


def clauses(text: str, splitter: re.Pattern[str]) -> list[str]:
    """The text split at a connective, quoted spans kept whole."""
    spans: list[str] = []

    def hide(m: re.Match[str]) -> str:
        spans.append(m.group(0))
        return f"\x00{len(spans) - 1}\x00"

    parts = splitter.split(QUOTED.sub(hide, text))
    return [re.sub(r"\x00(\d+)\x00", lambda m: spans[int(m.group(1))], p).strip()
            for p in parts if p and p.strip()]


def readings(text: str) -> list[list[tuple[str, bool]]]:
    """Ways to cut a request into steps, most steps first; each clause says if a bare "and"
    cut it (such a clause must carry a keyword cue to count)."""
    strong = clauses(text, STRONG_SPLIT)
    finest: list[tuple[str, bool]] = []
    for clause in strong:
        weak = clauses(clause, WEAK_SPLIT)
        finest += [(c, True) for c in weak] if len(weak) > 1 else [(clause, False)]
    found = [finest, [(c, False) for c in strong]]
    return [r for i, r in enumerate(found) if len(r) > 1 and r not in found[:i]]


def available(context: PlanningContext) -> set[Kind]:
    """Kinds of media anywhere in the chat."""
    return {a.kind for a in [*context.artifacts, *context.attachments]}


def media_fields(task: str) -> list[str]:
    """The task's media argument names, in the order the argument model lists them."""
    return [name for name in TASKS[task].args.model_fields if name in SOURCES]


def required(task: str, field: str) -> bool:
    """Whether the task cannot run without this media argument (a portrait, a reference
    voice or a score are optional)."""
    return TASKS[task].args.model_fields[field].is_required()


class OfflinePlanner:
    """Plans without a language model: embeddings route, regular expressions fill arguments."""

    name = "offline"

    def __init__(self, embedder: Embedder,
                 max_steps: int = Settings.model_fields["max_plan_steps"].default) -> None:
        self._embedder, self.max_steps = embedder, max_steps
        self._labels: list[str] = []
        self._bank: np.ndarray | None = None

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
        vectors = await asyncio.to_thread(self._vectors, texts)
        plan = self._decide(context, vectors, parts)
        plan.planner = self.name
        return plan

    def _vectors(self, texts: list[str]) -> dict[str, np.ndarray]:
        """Embeddings of the texts, after the example bank on first use."""
        if self._bank is None:
            examples = {**EXEMPLARS, **{f"chat:{k}": v for k, v in CHAT.items()}}
            self._labels = [label for label, phrases in examples.items() for _ in phrases]
            self._bank = self._embedder.embed([p for phrases in examples.values()
                                               for p in phrases])
        return dict(zip(texts, self._embedder.embed(texts), strict=True))

    def _route(self, text: str, vector: np.ndarray, context: PlanningContext) -> Route:
        """The best task for a text, or the chat kind it resembles more."""
        assert self._bank is not None
        sims = self._bank @ vector
        best: dict[str, float] = {}
        for label, sim in zip(self._labels, sims, strict=True):
            best[label] = max(best.get(label, -1.0), float(sim))
        have = available(context)
        fresh = {a.kind for a in context.attachments}
        cues = cue_hits(text)
        # Words to say are audio in the making for a talking head (speech is made first).
        voiced = have | {Kind.AUDIO} if extract.spoken_text(text) else have
        scores = {task: best[task] + self._adjust(
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

    @staticmethod
    def _adjust(task: str, cued: bool, have: set[Kind], fresh: set[Kind]) -> float:
        """Keyword cues up; tasks whose input is missing, or that ignore this turn's files, down."""
        bonus = CUE_BOOST if cued else 0.0
        needed = [SOURCES[f] for f in media_fields(task) if required(task, f)]
        if any(not have & set(kinds) for kinds in needed):
            bonus += MISSING_INPUT
        uses = {k for f in media_fields(task) for k in SOURCES[f]}
        if fresh - uses:
            bonus += UNUSED_UPLOAD
        return bonus

    def _decide(self, context: PlanningContext, vectors: dict[str, np.ndarray],
                parts: list[list[tuple[str, bool]]]) -> Plan:
        """A repeat, a chain, one step, or a chat reply."""
        text = normalise(context.text)
        route = self._route(text, vectors[text], context)
        if (repeat := replay(context, text, route)) is not None:
            return repeat
        fallback: Plan | None = None
        for part in parts:
            routes = [self._route(normalise(c), vectors[normalise(c)], context) for c, _ in part]
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
                route.chat or "decline")
        single = build(context, implied_chain(context, route.task))
        return single if single.steps or fallback is None else fallback


def chat_reply(kind: str) -> Plan:
    """The answer to chat: capabilities for greetings and help, a thank-you, or a decline."""
    replies = {"greeting": GREETING + capabilities_text(), "help": capabilities_text(),
               "thanks": THANKS}
    return Plan(reply=replies.get(kind, DECLINE))


def implied_chain(context: PlanningContext, task: str) -> list[tuple[str, str]]:
    """One task, or speech first when a picture should say words and no audio came along."""
    text = context.text
    fresh = {a.kind for a in context.attachments}
    face = Kind.IMAGE in fresh or task == "talking_head" or (
        task == "text_to_speech" and "talking_head" in cue_hits(normalise(text)))
    if (task in ("talking_head", "text_to_speech") and face
            and not fresh & {Kind.AUDIO, Kind.VIDEO} and extract.spoken_text(text)):
        return [("text_to_speech", text), ("talking_head", text)]
    return [(task, text)]


def build(context: PlanningContext, calls: list[tuple[str, str]]) -> Plan:
    """Steps with arguments and media filled in, or a reply saying what is missing."""
    steps: list[PlanStep] = []
    for task, text in calls:
        args = extract.task_args(task, text)
        if task == "speech_separation":
            args.update(separation_media(context, steps, text))
        if task == "audio_edit" and args.get("operation") in ("mix", "concat"):
            args.update(pair_media(context, steps, text))
        for field in media_fields(task):
            if field in args or (task, field) == ("speech_separation", "reference"):
                continue  # filled above; a separation's reference is optional
            ref = score_media(context, text) if field == "score" else (
                chained_media(steps, field) or pick(context, SOURCES[field], text))
            if ref is not None:
                args[field] = ref
            elif required(task, field):
                return Plan(reply=f"For that I need {NEEDS[field]}. Please attach it and ask "
                                  "again.")
        chained_text(steps, task, args)
        try:
            TASKS[task].validate(args)
        except TaskUnsupported as err:
            return Plan(reply=missing_reply(task, args, err))
        steps.append(PlanStep(task=task, args=args))
    return Plan(steps=steps)


def score_media(context: PlanningContext, text: str) -> str | None:
    """A score to sing from: one sent now, or an earlier one the request points at."""
    fresh = [a for a in context.attachments if a.kind == Kind.FILE]
    if fresh or SCORE_WORDS.search(text.lower()) or re.search(r"\ba\d+\b", text.lower()):
        return pick(context, SOURCES["score"], text)
    return None


def chained_media(steps: list[PlanStep], field: str) -> str | None:
    """The previous step's output, when it is media this field can take."""
    if not steps or field == "image":
        return None
    outputs = TASKS[steps[-1].task].outputs
    return f"step{len(steps)}" if Kind.AUDIO in outputs or Kind.VIDEO in outputs else None


def separation_media(context: PlanningContext, steps: list[PlanStep], text: str
                     ) -> dict[str, str]:
    """The clip of the wanted speaker ("the voice from a2", "a3 as the reference", else the
    second of two uploads) and the mixture to take it from; nothing when there is none."""
    pool = [a for a in [*context.artifacts, *context.attachments] if a.kind in SOURCES["audio"]]
    handles = [a.handle for a in pool]
    named = REFERENCE.search(text.lower())
    reference = next((g for g in named.groups() if g in handles), None) if named else None
    fresh = [a.handle for a in context.attachments if a.kind in SOURCES["audio"]]
    if reference is None and not steps and len(fresh) >= 2:
        return {"audio": fresh[0], "reference": fresh[1]}
    if reference is None:
        return {}
    mentioned = [h for h in re.findall(r"\b(a\d+)\b", text.lower()) if h in handles]
    others = [h for h in [*mentioned, *fresh[::-1], *handles[::-1]] if h != reference]
    audio = chained_media(steps, "audio") or next(iter(others), None)
    return {"audio": audio, "reference": reference} if audio else {}


def pair_media(context: PlanningContext, steps: list[PlanStep], text: str) -> dict[str, str]:
    """The two recordings of a join or a mix: handles in the order named, else the previous
    step's output and the newest upload, else the two newest recordings in chat order.
    In a mix the bed goes second: the file whose name the text puts "under" the other."""
    pool = [a for a in [*context.artifacts, *context.attachments] if a.kind in SOURCES["audio"]]
    handles = [a.handle for a in pool]
    named = [h for h in re.findall(r"\b(a\d+)\b", text.lower()) if h in handles]
    fresh = [a for a in context.attachments if a.kind in SOURCES["audio"]]
    if len(named) >= 2:
        pair = named[:2]
    elif steps and (fresh or named):
        pair = [f"step{len(steps)}", named[0] if named else fresh[-1].handle]
    else:
        recent = fresh if len(fresh) >= 2 else pool
        pair = [a.handle for a in recent[-2:]]
    if len(pair) < 2:
        return {}
    bed = re.search(r"\b(\w+) (?:under|underneath|beneath|behind)\b", text.lower())
    labels = {a.handle: a.label.lower() for a in pool}
    if bed and bed.group(1) in labels.get(pair[0], "") and bed.group(1) not in labels.get(
            pair[1], ""):
        pair.reverse()
    return {"audio": pair[0], "other": pair[1]}


def chained_text(steps: list[PlanStep], task: str, args: dict[str, Any]) -> None:
    """Give a speech step with no words of its own the text of the nearest earlier text step."""
    if task not in ("text_to_speech", "style_transfer") or "text" in args:
        return
    for index in range(len(steps), 0, -1):
        earlier = steps[index - 1]
        if Kind.TEXT in TASKS[earlier.task].outputs:
            args["text"] = f"step{index}"
            target = earlier.args.get("target_language")
            if task == "text_to_speech" and target and "language" not in args:
                args["language"] = target
            return


def missing_reply(task: str, args: dict[str, Any], err: TaskUnsupported) -> str:
    """Ask for what the request left out."""
    if task in ("text_to_speech", "style_transfer") and "text" not in args:
        return 'What should I say? Put the words in quotes, e.g. say "see you at eight".'
    if "query" in TASKS[task].args.model_fields and "query" not in args:
        return 'Which sound should I look for? Name it, e.g. "the dog barking".'
    if task == "audio_inpainting":
        return 'Which part should I fill in? Give me the times, e.g. "from 1.5 s to 2 s".'
    if task == "audio_edit" and "operation" not in args:
        return ("What should I change? I can trim, change the speed, pitch or volume, fade, "
                "reverse or convert it.")
    if task == "singing_synthesis":
        return 'What should I sing? Put the lyrics in quotes, e.g. sing "la la la".'
    return f"I couldn't work out the details for that. {err.message}"


def pick(context: PlanningContext, kinds: tuple[Kind, ...], text: str) -> str | None:
    """The artifact a media argument means: named ("a3"), in the post replied to, by ordinal,
    "what you made", or the newest."""
    pool = [*context.artifacts, *context.attachments]
    if mentioned := re.findall(r"\b(a\d+)\b", text.lower()):
        fitting = {a.handle for a in pool if a.kind in kinds}
        return next((h for h in mentioned if h in fitting), None)
    if replied := [a.handle for a in pool if a.kind in kinds and a.handle in context.replying_to]:
        return replied[-1]
    if m := ORDINAL.search(text.lower()):
        group = ordinal_set(context, kinds)
        index = ORDINALS[m.group(1)]
        return group[index].handle if -len(group) <= index < len(group) else None
    if YOU_MADE.search(text.lower()):
        made = [a for a in pool if a.kind in kinds and a.producer.startswith("job:")]
        if made:
            return made[-1].handle
    fresh = [a for a in context.attachments if a.kind in kinds]
    earlier = [a for a in context.artifacts if a.kind in kinds]
    candidates = fresh or earlier
    return candidates[-1].handle if candidates else None


def ordinal_set(context: PlanningContext, kinds: tuple[Kind, ...]) -> list[Artifact]:
    """What "the second one" counts through (the rule is in the module docstring)."""
    fresh = [a for a in context.attachments if a.kind in kinds]
    if len(fresh) >= 2:
        return fresh
    known = {a.handle: a for a in [*context.artifacts, *context.attachments]}
    for turn in reversed(context.history):
        group = [known[h] for h in turn.artifacts if h in known and known[h].kind in kinds]
        if len(group) >= 2:
            return group
    return [a for a in [*context.artifacts, *context.attachments] if a.kind in kinds]


def last_steps(context: PlanningContext) -> list[PlanStep]:
    """The steps of the most recent turn that ran any."""
    return next((turn.steps for turn in reversed(context.history) if turn.steps), [])


def replay(context: PlanningContext, text: str, route: Route) -> Plan | None:
    """The last turn's steps again, changed as asked, for "again" or "now the second one"."""
    steps = last_steps(context)
    if not steps:
        return None
    ordinal_only = ORDINAL.search(text) and not ORDINAL_ONLY.sub(
        "", ORDINAL.sub("", text)).strip()
    asked_new = route.cued and route.task not in {"audio_edit", *(s.task for s in steps)}
    if not (ordinal_only or (REPEAT.search(text) and not asked_new)):
        return None
    copies = [PlanStep(task=s.task, args=dict(s.args)) for s in steps]
    first_media = next((f for f in media_fields(copies[0].task) if f in copies[0].args), None)
    if first_media and (context.attachments or ORDINAL.search(text)):
        if (ref := pick(context, SOURCES[first_media], text)) is None:
            return Plan(reply=f"I can't find that one. Please attach {NEEDS[first_media]}.")
        copies[0].args[first_media] = ref
    replayed = [*copies, *modify(copies, text)]
    try:
        for step in replayed:
            TASKS[step.task].validate(step.args)
    except TaskUnsupported as err:
        return Plan(reply=f"I couldn't repeat that. {err.message}")
    return Plan(steps=replayed)


def modify(steps: list[PlanStep], text: str) -> list[PlanStep]:
    """Apply speed, pitch, language and duration words to replayed steps; edits to add."""
    rate, shift, lang = extract.speed(text), extract.pitch(text), extract.language(text)
    for step in steps:
        args = step.args
        if step.task == "text_to_speech":
            if rate:
                args["speed"] = round(min(4.0, max(0.25, args.get("speed", 1.0) * rate)), 3)
            if shift:
                args["pitch"] = min(12.0, max(-12.0, args.get("pitch", 0.0) + shift))
            if lang:
                args["language"] = lang
            rate = shift = None
        elif step.task in ("text_to_audio", "text_to_music", "image_to_audio") and (
                length := extract.duration(text)):
            args["duration"] = length
    changes = [{"operation": "speed", "factor": rate}, {"operation": "pitch", "semitones": shift},
               {"operation": "volume", "gain_db": extract.gain_db(text)}]
    added: list[PlanStep] = []
    if Kind.AUDIO in TASKS[steps[-1].task].outputs:
        for change in changes:
            if None not in change.values():
                added.append(edit(len(steps) + len(added), change))
    return added


def edit(index: int, args: dict[str, Any]) -> PlanStep:
    """An audio_edit step on the output of step `index`."""
    return PlanStep(task="audio_edit", args={"audio": f"step{index}", **args})
