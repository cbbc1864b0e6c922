"""How a worker runs audio_inpainting."""

from __future__ import annotations

from media.decode import decode
from models.inpainting.base import Inpainter
from tasks.audio_inpainting import InpaintingArgs
from workers.steps.base import Inputs, Output, Step, voice_note


def run(inpainter: Inpainter, a: InpaintingArgs, given: Inputs) -> Output:
    """Fill the gap between two times; the rest of the recording is unchanged."""
    filled, method = inpainter.fill(decode(given.media["audio"].path, 48_000), a.start, a.end)
    text = f"I filled {a.start:g}–{a.end:g} s ({(a.end - a.start) * 1000:.0f} ms) by {method}."
    return Output(files=[voice_note(filled, given.work, "inpainted",
                                    f"filled {a.start:g}–{a.end:g} s")], text=text)


STEP = Step(Inpainter, InpaintingArgs, run)
