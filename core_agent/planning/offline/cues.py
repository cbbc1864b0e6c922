"""Keyword cues and the clean-up of request text before routing: chat abbreviations spelled
out, near-miss key words corrected, and which tasks' cue expressions a text carries (with
the few cases where a cue means something else in company)."""

from __future__ import annotations

import difflib
import re

from core_agent.planning.offline.extraction.words import LANG, QUOTED_SPAN, quoted, unquoted
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
# Words written down "in english" are a transcript in the language spoken; a translation
# says so, or names the language it goes "to"/"into".
IN_WRITING = re.compile(r"\b(write|type|jot|put|spell|note)s?\b.{0,30}\b(down|out|up|text|"
                        r"writing)\b|transcri|\bwritten\b|\bin (text|writing)\b|"
                        r"\bword for word\b|\bverbatim\b")
TRANSLATION_ASKED = re.compile(rf"translat|interpret|\b(to|into) {LANG}|\b{LANG} (translation|"
                               rf"version)|\bfrom {LANG}")
TEXT_TASKS = {"speech_recognition", "speech_translation", "audio_to_text"}
TYPOS = {"wat": "what", "pls": "please", "plz": "please", "u": "you", "ur": "your",
         "rn": "right now", "msg": "message", "vid": "video", "pic": "picture", "thx": "thanks",
         "ty": "thank you", "lol": "", "gimme": "give me", "smth": "something", "abt": "about",
         "2nd": "second", "um": "", "umm": "", "uh": "", "uhm": "", "erm": "", "hmm": ""}
VOCAB = ("transcribe", "translate", "separate", "binaural", "denoise", "extract", "isolate",
         "describe", "caption", "enhance", "background", "spatial", "reverse", "backwards",
         "louder", "quieter", "volume", "convert", "speakers", "pronounce", "imitate",
         "animate", "subtitles", "music", "noise", "noisy", "timestamps", "sound")



def normalise(text: str) -> str:
    """Lower case, common chat abbreviations spelled out, voice-note fillers dropped,
    near-miss key words corrected."""
    words = []
    for word in re.findall(r"[\w'?.:;,\-\"“”]+", text.lower()):
        bare = word.strip("?.:;,\"“”")
        fixed = corrected(TYPOS.get(bare, bare))
        words.append(word.replace(bare, fixed) if bare else word)
    return " ".join(w for w in words if w)


def corrected(word: str) -> str:
    """A near-miss key word spelled right ("transcibe"); any other word as it is."""
    if len(word) < 6 or any(word.startswith(v) or v.startswith(word) for v in VOCAB):
        return word
    # A slip changes a letter or two, not the length ("speaks" is no "speakers").
    return next((v for v in difflib.get_close_matches(word, VOCAB, 3, 0.85)
                 if abs(len(v) - len(word)) <= 1), word)


def spelled(text: str) -> str:
    """The request with near-miss key words corrected, its case and quoted words kept: what
    arguments are read from ("extarct the vocals" asks for the vocals)."""
    def respelled(m: re.Match[str]) -> str:
        fixed = corrected(m.group(0).lower())
        return m.group(0) if fixed == m.group(0).lower() else fixed

    parts = re.split(f"({QUOTED_SPAN})", text)
    return "".join(part if i % 2 else re.sub(r"[A-Za-z]{6,}", respelled, part)
                   for i, part in enumerate(parts))


def cue_hits(text: str) -> set[str]:
    """The tasks whose keyword cues the text carries; quoted words are what to say, not cues
    ("say 'mind the gap'" asks for no gap to be filled)."""
    bare = re.sub(QUOTED_SPAN, '""', text)
    hits = {task for task, cue in CUE_RE.items() if cue.search(bare)}
    if ASKS_WHAT_SAID.search(text) and not quoted(text):
        hits.discard("text_to_speech")
        hits.add("speech_recognition")
    if IN_WRITING.search(text):
        other_language = len(set(re.findall(rf"\b{LANG}\b", unquoted(text)))) > 1
        wanted = ("speech_translation" if other_language or TRANSLATION_ASKED.search(text)
                  else "speech_recognition")
        hits -= TEXT_TASKS - {wanted, "audio_to_text"}
        hits.add(wanted)
    if "text_to_speech" in hits and SPEAK_PRODUCT.search(text):
        hits -= TEXT_TASKS
    if "text_to_speech" in hits and not EDIT_VERB.search(text):
        hits.discard("audio_edit")
    return hits
