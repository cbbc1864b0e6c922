"""Style transfer: Piper speech moved toward a reference voice by the WORLD vocoder."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.audio import Audio
from media.decode import decode
from models.cache import BackendCache
from models.style_transfer.world import VoiceProfile, WorldStyle
from tests.conftest import report
from tests.core_agent.test_agent import rows
from tests.samples import tone, wer
from workers.runtime import Runtime

TEXT = ("The package arrives on Monday afternoon. "
        "Please bring the quarterly report to the meeting.")
RATE = 22_050


def reference_voice(folder: Path, voice: str, pitch: int) -> Path:
    """An espeak-ng voice ("en-us" male, "en-us+f3" female) at a pitch (espeak's 0..99)."""
    path = folder / f"reference-{pitch}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-w", str(path),
                    "this is how I sound when I talk about my day at work"],
                   check=True, capture_output=True)
    return path


@pytest.fixture(scope="module")
def style() -> WorldStyle:
    backend = WorldStyle()
    backend.load()
    return backend


@pytest.mark.parametrize(("voice", "pitch"), [("en-us", 5), ("en-us+f3", 50)])
def test_pitch_moves_toward_the_reference_and_words_survive(
        style: WorldStyle, backends: BackendCache, tmp_path: Path, voice: str, pitch: int
) -> None:
    reference = decode(reference_voice(tmp_path, voice, pitch), RATE)
    target = VoiceProfile(reference).median_f0
    plain = VoiceProfile(style._tts.synthesize(TEXT)).median_f0
    out = style.speak_like(TEXT, reference)
    moved = VoiceProfile(out).median_f0
    asr = backends.for_task("speech_recognition")
    heard = asr.transcribe(Audio(resample_poly(out.samples, 16_000, RATE).astype(np.float32),  # type: ignore[attr-defined]
                                 16_000)).text
    error = wer(TEXT, heard)
    report(f"style transfer toward {target:.0f} Hz: Piper {plain:.0f} Hz -> {moved:.0f} Hz; "
           f"WER {error:.1%}")
    assert abs(moved - target) < 0.5 * abs(plain - target)  # well on the way there
    assert error < 0.10, heard


def test_a_reference_without_speech_is_refused(style: WorldStyle, tmp_path: Path) -> None:
    noise = tone(tmp_path / "hiss.wav", 2.0, freq=50.0, noise=0.3)
    with pytest.raises(Unsupported, match="too little voiced speech"):
        style.speak_like(TEXT, decode(noise, RATE))


async def test_say_it_in_the_voice_of_the_recording(runtime: Runtime, tmp_path: Path) -> None:
    reference = reference_voice(tmp_path, "en-us+f3", 90)
    reply = await runtime.agent.handle(Message(
        channel_id="cli:style", text="say 'see you at the station' in the same voice as this",
        attachments=[Attachment(path=reference, filename=reference.name)]))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert step.task == "style_transfer"
    assert step.args == {"text": "see you at the station", "reference": "a1"}
    (note,) = reply.artifacts
    assert note.mime == "audio/ogg" and note.duration and note.duration > 0.5
    (job,) = rows(runtime, Job, purpose="plan")
    assert job.backend == "world-style"
