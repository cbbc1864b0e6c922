"""How a worker runs image_to_audio."""

from __future__ import annotations

from core_agent.errors import BackendUnavailable
from models.generation.base import Generator, ImageCaptioner
from tasks.image_to_audio import ImageToAudioArgs
from tasks.text_to_audio.step import generate_sound
from workers.steps.base import Inputs, Output, Step, backend_of


def run(captioner: ImageCaptioner, a: ImageToAudioArgs, given: Inputs) -> Output:
    """The picture captioned, then the caption sounded out by the text_to_audio model."""
    missing = BackendUnavailable("the text_to_audio model, which turns the picture's caption "
                                 "into sound,", "audiogpt models pull text_to_audio")
    if given.backends is None:  # outside a worker there is no text_to_audio model to ask
        raise missing
    try:  # before the captioning, which would be wasted
        generator = backend_of(given.backends, "text_to_audio", Generator)
    except BackendUnavailable:
        raise missing from None
    caption = captioner.caption(given.media["image"].path)
    made = generate_sound(generator, caption, a.duration, None, given.work)
    heard = f"I heard this picture as: “{caption}”."
    made.text = f"{heard} {made.text}" if made.text else heard
    made.data["caption"] = caption
    return made


STEP = Step(ImageCaptioner, ImageToAudioArgs, run)
