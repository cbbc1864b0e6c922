"""Keyword cues and the clean-up of request text before routing: chat abbreviations spelled
out, near-miss key words corrected, and which tasks' cue expressions a text carries (with
the few cases where a cue means something else in company)."""

from __future__ import annotations

import difflib
import re

from core_agent.planning.offline.extraction.words import quoted
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
TYPOS = {"wat": "what", "pls": "please", "plz": "please", "u": "you", "ur": "your",
         "rn": "right now", "msg": "message", "vid": "video", "pic": "picture", "thx": "thanks",
         "ty": "thank you", "lol": "", "gimme": "give me", "smth": "something", "abt": "about",
         "2nd": "second"}
VOCAB = ("transcribe", "translate", "separate", "binaural", "denoise", "extract", "isolate",
         "describe", "caption", "enhance", "background", "spatial", "reverse", "backwards",
         "louder", "quieter", "volume", "convert", "speakers", "pronounce", "imitate",
         "animate", "subtitles", "music", "noise", "noisy", "timestamps", "sound")



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
