"""Media: which file each media argument of a step works on.

A media argument takes a handle the text names ("a3") if it fits, else the newest
attachment of a fitting kind (audio and video for audio, images for image), else the
newest earlier artifact of that kind; "what you said/made" means the newest artifact a
job produced, "my recording", "what she sent" or "the original" the newest upload. No
fitting file means a reply asking for one, never an invented handle.

Ordinals ("the second one", "the last clip", "2nd", "clip 3", "the middle one") count
through the first of these with 2+ files of the fitting kind: this turn's attachments;
the files of the most recent history turn holding 2+ of them; else every such file in the
chat, earlier ones in order, then this turn's.

A later step of a chain takes the previous step's audio ("stepN"); a separation, a join
and a mix take two recordings (see their functions).
"""

from __future__ import annotations

import re

from core_agent.planning.base import PlanningContext
from core_agent.types import HANDLE_IN_TEXT, Artifact, Kind, PlanStep
from tasks import TASKS

ORDINAL = re.compile(r"(?<!\d )(?<!\d)"  # not "1 second"
                     r"\b(first|second|third|fourth|fifth|last|1st|2nd|3rd|4th|5th)\b"
                     r"(?!\s*(?:\d|few|half|bit|part|time|seconds?|minutes?|s\b))")
ORDINALS = {"first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3,
            "4th": 3, "fifth": 4, "5th": 4, "last": -1}
YOU_MADE = re.compile(r"\byou(?:'ve| have)? (?:just )?(?:said|made|sang|generated|created|did|"
                      r"sent|produced|spoke)|\byour (?:last |latest )?(?:reply|answer|voice ?note|"
                      r"message|audio|output|version|result)")
# The user's own file (or one a person sent): the newest upload, not the bot's output.
MINE = re.compile(r"\b(?:my|mine|i (?:just )?(?:sent|uploaded|recorded|shared|gave you)|"
                  r"(?:she|he|they) (?:just )?sent|the original|from (?:earlier|before))\b")
# "clip 2", "file #3", "number 2": a place in the same count as an ordinal's.
NUMBERED = re.compile(r"(?:\b(?:clip|file|track|recording|note|number|no\.?)\s?#?|#)(\d)\b")
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


def media_fields(task: str) -> list[str]:
    """The task's media argument names, in the order the argument model lists them."""
    return [name for name in TASKS[task].args.model_fields if name in SOURCES]


def required(task: str, field: str) -> bool:
    """Whether the task cannot run without this media argument (a portrait, a reference
    voice or a score are optional)."""
    return TASKS[task].args.model_fields[field].is_required()


def score_media(context: PlanningContext, text: str) -> str | None:
    """A score to sing from: one sent now, or an earlier one the request points at."""
    fresh = [a for a in context.attachments if a.kind == Kind.FILE]
    if fresh or SCORE_WORDS.search(text.lower()) or HANDLE_IN_TEXT.search(text.lower()):
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
    mentioned = [h for h in HANDLE_IN_TEXT.findall(text.lower()) if h in handles]
    others = [h for h in [*mentioned, *fresh[::-1], *handles[::-1]] if h != reference]
    audio = chained_media(steps, "audio") or next(iter(others), None)
    return {"audio": audio, "reference": reference} if audio else {}


def pair_media(context: PlanningContext, steps: list[PlanStep], text: str) -> dict[str, str]:
    """The two recordings of a join or a mix: handles in the order named, else the previous
    step's output and the newest upload, else the two newest recordings in chat order.
    In a mix the bed goes second: the file whose name the text puts "under" the other."""
    pool = [a for a in [*context.artifacts, *context.attachments] if a.kind in SOURCES["audio"]]
    handles = [a.handle for a in pool]
    named = [h for h in HANDLE_IN_TEXT.findall(text.lower()) if h in handles]
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


def pick(context: PlanningContext, kinds: tuple[Kind, ...], text: str) -> str | None:
    """The artifact a media argument means: named ("a3"), in the post replied to, by ordinal,
    "what you made", or the newest."""
    pool = [*context.artifacts, *context.attachments]
    if mentioned := HANDLE_IN_TEXT.findall(text.lower()):
        fitting = {a.handle for a in pool if a.kind in kinds}
        return next((h for h in mentioned if h in fitting), None)
    if replied := [a.handle for a in pool if a.kind in kinds and a.handle in context.replying_to]:
        return replied[-1]
    if (place := ordinal(text.lower())) is not None:
        group = ordinal_set(context, kinds)
        index = len(group) // 2 if place == "middle" else int(place)
        return group[index].handle if -len(group) <= index < len(group) else None
    if YOU_MADE.search(text.lower()) and (
            made := [a for a in pool if a.kind in kinds and a.producer.startswith("job:")]):
        return made[-1].handle
    if MINE.search(text.lower()) and (
            sent := [a for a in pool if a.kind in kinds and a.producer == "upload"]):
        return sent[-1].handle
    fresh = [a for a in context.attachments if a.kind in kinds]
    earlier = [a for a in context.artifacts if a.kind in kinds]
    candidates = fresh or earlier
    return candidates[-1].handle if candidates else None


def ordinal(text: str) -> int | str | None:
    """The place in the count a text names ("the second one", "clip 3": an index from the
    start, -1 for the last), "middle", or None."""
    if m := ORDINAL.search(text):
        return ORDINALS[m.group(1)]
    if m := NUMBERED.search(text):
        return int(m.group(1)) - 1 if int(m.group(1)) > 0 else None
    return "middle" if re.search(r"\bmiddle (one|clip|file|recording|track)\b", text) else None


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
