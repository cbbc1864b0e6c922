"""One capability case per task: inputs made here, a fixed plan, and the quality figure
computed on what the real agent and executors returned."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import matplotlib.cbook
import numpy as np

from core_agent.types import PlanStep, Reply
from evaluation import signals as sig
from media.audio import Audio
from media.decode import decode
from models.cache import BackendCache
from models.speech_recognition.base import Transcriber
from models.text_to_speech.base import Synthesizer

SENTENCE = "please call stella and ask her to bring these things with her from the store"
TTS_TEXT = "The package arrives on Monday afternoon. Please bring the quarterly report."
STYLE_TEXT = "See you at the station at eight."
PORTRAIT = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
SIREN_LABELS = {"Siren", "Alarm", "Police car (siren)", "Civil defense siren",
                "Ambulance (siren)", "Emergency vehicle"}
NOISE_LABELS = {"White noise", "Static", "Noise", "Pink noise"}
LABELS = {"siren": SIREN_LABELS, "speech": {"Speech"}, "noise": NOISE_LABELS}
CAPTION_WORDS = {"siren": ("siren", "alarm"), "speech": ("speech", "talk", "voice"),
                 "noise": ("noise", "static", "hiss")}


@dataclass
class Kit:
    """Where inputs are made, and models to make them with (Piper speech, ASR)."""

    folder: Path
    backends: BackendCache
    _speech: Audio | None = None

    def speech(self) -> Audio:
        """A sentence from the installed text-to-speech model, made once."""
        if self._speech is None:
            tts = cast(Synthesizer, self.backends.for_task("text_to_speech"))
            self._speech = tts.synthesize(TTS_TEXT)
        return self._speech

    def transcribe(self, samples: np.ndarray, rate: int) -> str:
        """What the installed ASR model hears."""
        asr = cast(Transcriber, self.backends.for_task("speech_recognition"))
        audio = Audio(sig.resampled(Audio(samples.astype(np.float32), rate), 16_000)
                      .astype(np.float32), 16_000)
        return asr.transcribe(audio).text


@dataclass
class Made:
    """A case's uploads (a1, a2, ... in order), its plan and what the right answer is."""

    files: list[Path]
    steps: list[PlanStep]
    truth: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Figure:
    """A quality figure: its name, unit, which way is better and the target it should meet."""

    name: str
    unit: str
    better: str  # "lower" or "higher"
    target: float

    def meets(self, value: float) -> bool:
        """Whether a value reaches the target."""
        return value <= self.target if self.better == "lower" else value >= self.target


Measured = tuple[float, str]  # the figure's value and a line of detail


@dataclass(frozen=True)
class Case:
    """How to test one task."""

    figure: Figure
    make: Callable[[Kit], Made]
    measure: Callable[[Reply, Made, Kit], Measured]


def step(task: str, **args: Any) -> PlanStep:
    """A plan step."""
    return PlanStep(task=task, args=args)


def output(reply: Reply, rate: int, index: int = 0, mono: bool = True) -> np.ndarray:
    """An output file of the reply, decoded."""
    return decode(reply.artifacts[index].path, rate, mono=mono).samples.astype(np.float64)


# speech_recognition, speech_translation, text_to_speech, style_transfer

def make_asr(kit: Kit) -> Made:
    wav = sig.espeak(SENTENCE, kit.folder / "asr.wav", speed=130)
    return Made([sig.to_ogg(wav, kit.folder / "asr.ogg")], [step("speech_recognition",
                                                                  audio="a1")])


def measure_asr(reply: Reply, made: Made, kit: Kit) -> Measured:
    heard = reply.steps[0].text or ""
    return 100 * sig.wer(SENTENCE, heard), f"espeak-ng voice note (OGG/Opus): heard {heard!r}"


GERMAN = ("Guten Morgen, ich trinke jeden Tag Kaffee.", "good morning I drink coffee every day")


def make_translation(kit: Kit) -> Made:
    wav = sig.espeak(GERMAN[0], kit.folder / "de.wav", voice="de")
    return Made([wav], [step("speech_translation", audio="a1", target_language="en",
                             source_language="de")])


def measure_translation(reply: Reply, made: Made, kit: Kit) -> Measured:
    heard = reply.steps[0].text or ""
    return 100 * sig.wer(GERMAN[1], heard), f"German espeak-ng speech into English: {heard!r}"


def make_tts(kit: Kit) -> Made:
    return Made([], [step("text_to_speech", text=TTS_TEXT),
                     step("speech_recognition", audio="step1")])


def measure_tts(reply: Reply, made: Made, kit: Kit) -> Measured:
    heard = reply.steps[1].text or ""
    return 100 * sig.wer(TTS_TEXT, heard), f"TTS, then ASR on its voice note: {heard!r}"


def make_style(kit: Kit) -> Made:
    wav = sig.espeak("this is how I sound when I talk about my day at work",
                     kit.folder / "reference.wav", voice="en-us+f3", pitch=50)
    return Made([wav], [step("style_transfer", text=STYLE_TEXT, reference="a1")])


def measure_style(reply: Reply, made: Made, kit: Kit) -> Measured:
    from models.style_transfer.world import VoiceProfile

    rate = 22_050
    target = VoiceProfile(decode(made.files[0], rate)).median_f0
    plain = VoiceProfile(cast(Synthesizer, kit.backends.for_task("text_to_speech"))
                         .synthesize(STYLE_TEXT)).median_f0
    samples = output(reply, rate)
    moved = VoiceProfile(Audio(samples.astype(np.float32), rate)).median_f0
    error = sig.wer(STYLE_TEXT, kit.transcribe(samples, rate))
    gap = abs(12 * np.log2(moved / target))
    return float(gap), (f"median F0 {plain:.0f} Hz (plain TTS) -> {moved:.0f} Hz, reference "
                        f"{target:.0f} Hz; words kept: WER {error:.0%}")


# speech_enhancement, speech_separation, mono_to_binaural, audio_inpainting

def make_enhancement(kit: Kit) -> Made:
    rate = 48_000
    clean = decode(sig.espeak(SENTENCE, kit.folder / "clean.wav"), rate).samples
    clean = np.pad(clean.astype(np.float64), rate // 2)
    noise = np.random.default_rng(5).standard_normal(len(clean))
    noise *= np.sqrt(np.mean(clean ** 2) / 10 ** (5 / 10))  # 5 dB SNR
    noisy = clean + noise
    return Made([sig.write(noisy, rate, kit.folder / "noisy.wav")],
                [step("speech_enhancement", audio="a1")], {"clean": clean, "noisy": noisy})


def measure_enhancement(reply: Reply, made: Made, kit: Kit) -> Measured:
    clean, noisy = made.truth["clean"], made.truth["noisy"]
    out = sig.aligned(clean, output(reply, 48_000), 48_000)
    before, after = sig.si_sdr(clean, noisy), sig.si_sdr(clean, out)
    return after - before, f"white noise at 5 dB SNR: SI-SDR {before:.1f} -> {after:.1f} dB"


def make_separation(kit: Kit) -> Made:
    rate = 16_000
    joe = sig.resampled(kit.speech(), rate)
    other = decode(sig.espeak("Seven green bottles were standing on the kitchen wall.",
                              kit.folder / "other.wav", voice="en-us+f2", pitch=80), rate)
    n = max(len(joe), len(other.samples))

    def level(x: np.ndarray) -> np.ndarray:
        x = np.pad(x.astype(np.float64), (0, n - len(x)))
        return x * 0.1 / np.sqrt(np.mean(x ** 2))

    target, mixture = level(joe), level(joe) + level(other.samples)
    tts = cast(Synthesizer, kit.backends.for_task("text_to_speech"))
    enrol = tts.synthesize("I usually walk to work when the streets are quiet.")
    return Made([sig.write(mixture, rate, kit.folder / "mixture.wav"),
                 sig.write(sig.resampled(enrol, rate), rate, kit.folder / "enrol.wav")],
                [step("speech_separation", audio="a1", reference="a2")],
                {"target": target, "mixture": mixture})


def measure_separation(reply: Reply, made: Made, kit: Kit) -> Measured:
    target, mixture = made.truth["target"], made.truth["mixture"]
    out = sig.aligned(target, output(reply, 16_000), 16_000)
    before, after = sig.si_sdr(target, mixture), sig.si_sdr(target, out)
    return after - before, (f"two voices at 0 dB, reference clip of one: SI-SDR {before:.1f} "
                            f"-> {after:.1f} dB")


def make_binaural(kit: Kit) -> Made:
    noise = 0.1 * np.random.default_rng(7).standard_normal(2 * 48_000)
    return Made([sig.write(noise, 48_000, kit.folder / "mono.wav")],
                [step("mono_to_binaural", audio="a1", azimuth=-90.0)])


def measure_binaural(reply: Reply, made: Made, kit: Kit) -> Measured:
    from models.binaural.spherical_head import interaural_delay

    want = float(interaural_delay(np.array([-90.0]), np.array([0.0]))[0])
    got = sig.itd_seconds(output(reply, 48_000, mono=False), 48_000)
    return abs(got - want) * 1e6, (f"source at -90°: ITD {got * 1e3:.3f} ms after OGG/Opus, "
                                   f"head model {want * 1e3:.3f} ms")


def make_inpainting(kit: Kit) -> Made:
    rate = 48_000
    t = np.arange(3 * rate) / rate
    x = 0.3 * np.sin(2 * np.pi * 437 * t) + 0.15 * np.sin(2 * np.pi * 1234.5 * t + 1.0)
    damaged = x.copy()
    damaged[int(1.5 * rate):int(1.6 * rate)] = 0.0
    return Made([sig.write(damaged, rate, kit.folder / "gap.wav")],
                [step("audio_inpainting", audio="a1", start=1.5, end=1.6)], {"clean": x})


def measure_inpainting(reply: Reply, made: Made, kit: Kit) -> Measured:
    rate = 48_000
    clean = made.truth["clean"]
    out = sig.aligned(clean, output(reply, rate), rate)
    gap = slice(int(1.5 * rate), int(1.6 * rate))
    ours = sig.snr_db(clean[gap], out[gap])
    return ours, "a 100 ms gap in two tones: SNR over the gap (silence scores 0 dB)"
