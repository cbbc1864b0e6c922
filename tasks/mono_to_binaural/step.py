"""How a worker runs mono_to_binaural."""

from __future__ import annotations

from core_agent.types import Kind
from media.decode import decode
from media.encode import encode_stereo, write_wav
from models.binaural.base import BinauralRenderer
from tasks.mono_to_binaural import BinauralArgs
from workers.steps.base import Inputs, Output, OutputFile, Step


def run(renderer: BinauralRenderer, a: BinauralArgs, given: Inputs) -> Output:
    """Place the sound around the listener's head; stereo OGG/Opus out."""
    audio = renderer.render(decode(given.media["audio"].path, 48_000), a.azimuth, a.elevation,
                            a.distance)
    wav = write_wav(audio, given.work / "binaural.wav")
    where = "circling the head" if a.azimuth is None else f"at {a.azimuth:g}°"
    return Output(files=[OutputFile(encode_stereo(wav, given.work / "binaural.ogg"), Kind.AUDIO,
                                    f"binaural, {where}")])


STEP = Step(BinauralRenderer, BinauralArgs, run)
