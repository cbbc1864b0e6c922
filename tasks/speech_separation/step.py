"""How a worker runs speech_separation."""

from __future__ import annotations

from core_agent.errors import ModelNotInstalled, Unsupported
from media.audio import Audio
from media.decode import decode
from models.separation.base import SpeakerSeparator
from tasks.speech_separation import SeparationArgs
from workers.steps.base import Inputs, Output, Step, voice_note


def run(separator: SpeakerSeparator, a: SeparationArgs, given: Inputs
                      ) -> Output:
    """Keep the reference speaker's voice, everything else as a second track; without a
    reference, one track per voice (a model that can tell voices apart unaided)."""
    media, work = given.media, given.work
    if "reference" not in media and not separator.speakers:
        raise ModelNotInstalled(BLIND_SEPARATION)
    if a.speakers and separator.speakers and a.speakers > separator.speakers:
        raise Unsupported(f"{separator.model} tells {separator.speakers} voices apart, not "
                          f"{a.speakers}; send a clip of one person to keep just that voice")
    if "reference" not in media:
        return _voices_output(separator.separate(decode(media["audio"].path)), given)
    found = separator.extract(decode(media["audio"].path), decode(media["reference"].path))
    text = (f"The first track is the voice that matches {a.reference} (speaker similarity "
            f"{found.target_similarity:.2f}), the second everything else "
            f"({found.residual_similarity:.2f}).")
    if found.residual_similarity > found.target_similarity:
        text += f" The rest sounds closer to {a.reference}: is that person in the recording?"
    return Output(files=[
        voice_note(found.target, work, "speaker", f"voice of {a.reference}"),
        voice_note(found.residual, work, "rest", "everything else"),
    ], text=text, data={"target_similarity": round(found.target_similarity, 3),
                        "residual_similarity": round(found.residual_similarity, 3)})


BLIND_SEPARATION = (
    "Splitting speakers without knowing whose voice to keep needs the neural separation model "
    "(SepFormer), which is not installed. Install it with `audiogpt models pull "
    "speech_separation`. Or send a short clip of only the person you want together with the "
    "recording and say, for example, \"keep only the voice from a2\".")


def _voices_output(tracks: list[Audio], given: Inputs) -> Output:
    files = [voice_note(track, given.work, f"speaker{i}", f"speaker {i}")
             for i, track in enumerate(tracks, start=1)]
    return Output(files=files, text=f"Here are the {len(tracks)} voices, one track each "
                  "(the order says nothing about who spoke first).",
                  data={"speakers": len(tracks)})


STEP = Step(SpeakerSeparator, SeparationArgs, run)
