"""How a worker runs singing_synthesis."""

from __future__ import annotations

from core_agent.errors import Unsupported
from models.singing.base import Singer
from models.singing.scores import read_file, requested
from tasks.singing_synthesis import SingingArgs
from workers.steps.base import Inputs, Output, Step, label, voice_note


def run(singer: Singer, a: SingingArgs, given: Inputs) -> Output:
    """Sing the lyrics to the notes, a known tune, or a simple line of its own."""
    if "score" in given.media:  # its words, unless the request gives others
        score = read_file(given.media["score"].path, a.lyrics)
    elif a.lyrics or a.melody:
        score = requested(a.lyrics or a.melody or "", a.notes, a.durations, a.melody,
                          a.recipient, a.tempo)
    else:
        raise Unsupported("tell me the words to sing, a tune, or attach a MIDI or MusicXML "
                          "score")
    audio = singer.sing(score)
    words = " ".join(n.syllable for n in score.notes if n.syllable)
    name = a.melody or label(a.lyrics or words)
    return Output(files=[voice_note(audio, given.work, "sung", name)],
                  data={"notes": sum(n.pitch is not None for n in score.notes),
                        "seconds": round(score.duration, 2), "sung": words})


STEP = Step(Singer, SingingArgs, run)
