"""A task's non-media arguments, assembled from the readers of the other modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core_agent.planning.offline.extraction.edits import edit_args
from core_agent.planning.offline.extraction.music import lyrics, melody, note_durations, notes
from core_agent.planning.offline.extraction.quantities import (
    azimuth,
    distance_m,
    duration,
    elevation,
    pitch,
    speakers,
    speed,
    time_range,
)
from core_agent.planning.offline.extraction.words import (
    generation_prompt,
    language,
    languages,
    sound_query,
    spoken_text,
    unquoted,
    voice,
)


def _recognition(text: str) -> dict[str, Any]:
    stamps = re.search(r"word.?(level|timing|timestamp)|timings", text.lower())
    return {"language": language(text), "word_timestamps": True if stamps else None}


def _translation(text: str) -> dict[str, Any]:
    source, target = languages(text)
    return {"source_language": source, "target_language": target or "en"}


def _tts(text: str) -> dict[str, Any]:
    rest = unquoted(text)
    return {"text": spoken_text(text), "speed": speed(rest), "pitch": pitch(rest),
            "language": language(rest), "voice": voice(rest)}


def _inpainting(text: str) -> dict[str, Any]:
    span = time_range(unquoted(text))
    return {"start": span[0], "end": span[1]} if span else {}


def _singing(text: str) -> dict[str, Any]:
    rest = unquoted(text)
    return {"lyrics": lyrics(text) or melody(text), "notes": notes(rest),
            "durations": note_durations(rest), "melody": melody(rest)}


def _generation(text: str) -> dict[str, Any]:
    return {"prompt": generation_prompt(text), "duration": duration(unquoted(text))}


EXTRACTORS: dict[str, Callable[[str], dict[str, Any]]] = {
    "speech_recognition": _recognition,
    "speech_translation": _translation,
    "text_to_speech": _tts,
    "style_transfer": lambda t: {"text": spoken_text(t)},
    "speech_separation": lambda t: {"speakers": speakers(unquoted(t))},
    "mono_to_binaural": lambda t: {"azimuth": azimuth(unquoted(t)),
                                   "elevation": elevation(unquoted(t)),
                                   "distance": distance_m(unquoted(t))},
    "audio_inpainting": _inpainting,
    "sound_extraction": lambda t: {"query": sound_query(unquoted(t))},
    "target_sound_detection": lambda t: {"query": sound_query(unquoted(t))},
    "text_to_audio": _generation,
    "text_to_music": _generation,
    "image_to_audio": lambda t: {"duration": duration(unquoted(t))},
    "singing_synthesis": _singing,
    "audio_edit": lambda t: edit_args(unquoted(t)) or {},
}


def task_args(task: str, text: str) -> dict[str, Any]:
    """The non-media arguments of a task read from the request; absent values left out."""
    extractor = EXTRACTORS.get(task)
    found = extractor(text) if extractor else {}
    return {k: v for k, v in found.items() if v is not None}
