"""How a worker runs sound_extraction."""

from __future__ import annotations

from media.decode import decode
from models.sound.base import MaskExtractor
from tasks.base import QueryArgs
from tasks.target_sound_detection.step import found_text, spans
from workers.steps.base import Inputs, Output, Step, label, voice_note


def run(extractor: MaskExtractor, a: QueryArgs, given: Inputs) -> Output:
    """Keep the described sound with a time–frequency mask; say what a mask cannot do."""
    classes, found, kept = extractor.extract(decode(given.media["audio"].path, 48_000), a.query)
    data = {"query": a.query, "classes": classes, "events": [e.as_dict() for e in found]}
    if kept is None:
        return Output(text=found_text(a.query, classes, found) + " Nothing to extract.",
                      data=data)
    text = (f"I kept {a.query} ({spans(found)}) and faded out the rest with a time–frequency "
            "mask. It is a mask, not a separator: other sounds at the same moments and "
            "pitches stay in, a little quieter.")
    return Output(files=[voice_note(kept, given.work, "extracted", label(a.query))], text=text,
                  data=data)


STEP = Step(MaskExtractor, QueryArgs, run)
