"""How a worker runs target_sound_detection."""

from __future__ import annotations

from media.decode import decode
from models.sound.base import TargetDetector
from models.sound.events import Event
from tasks.base import QueryArgs
from workers.steps.base import Inputs, Output, Step


def run(detector: TargetDetector, a: QueryArgs, given: Inputs) -> Output:
    """When the described sound occurs, or a clear no."""
    classes, found = detector.find(decode(given.media["audio"].path), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    return Output(text=found_text(a.query, classes, found), data=data)


def found_text(query: str, classes: list[str], found: list[Event]) -> str:
    if not classes:
        return (f"I don't know a sound called “{query}”. Try a common name, such as "
                "“dog bark”, “siren” or “speech”.")
    if not found:
        return f"I didn't hear {query} in this recording (I listened for {', '.join(classes[:3])})."
    labels = ", ".join(dict.fromkeys(e.label for e in found))
    return f"{query[0].upper()}{query[1:]}: {spans(found)} (heard as {labels})."


def spans(events: list[Event]) -> str:
    return ", ".join(f"{e.start:.1f}–{e.end:.1f} s" for e in events)


STEP = Step(TargetDetector, QueryArgs, run)
