"""speech_enhancement on real speech in real noise: LibriVox readings mixed with OpenSFX
field recordings (wind, applause, a jackhammer, a helicopter) at 0 and 5 dB SNR, scored by
SI-SDR against the clean reading, for each embedded backend; DeepFilterNet3 must beat
spectral gating, the backend it replaces, and keep the speech where it was."""

from __future__ import annotations

from typing import cast

import numpy as np
import pytest

from media.audio import Audio, resample
from media.decode import decode
from models.cache import BackendCache
from models.speech_enhancement.base import AudioProcessor
from tests.conftest import report
from tests.real_sounds import librivox, opensfx
from tests.samples import si_sdr

RATE = 48_000
NOISES = ("Wind", "Applause", "Jackhammer", "Helicopter")
SNRS = (0, 5)
BACKENDS = ("deepfilternet3", "spectral-gate")


def mixture(speech: np.ndarray, noise_name: str, snr_db: float) -> np.ndarray:
    """The speech with the noise looped under it at the given SNR."""
    noise = resample(opensfx()[noise_name], RATE)
    noise = np.resize(noise, len(speech))  # looped: the clips are 2-4 s
    noise *= np.sqrt(np.mean(speech ** 2) / np.mean(noise ** 2) / 10 ** (snr_db / 10))
    return (speech + noise).astype(np.float32)


@pytest.fixture(scope="module")
def readings() -> list[np.ndarray]:
    """Three LibriVox readings at 48 kHz."""
    return [resample(decode(wav), RATE) for wav, _ in librivox()[:3]]


@pytest.fixture(scope="module")
def scores(backends: BackendCache, readings: list[np.ndarray]) -> dict[str, list[float]]:
    """SI-SDR gain of each backend over the mixture, per reading, noise and SNR."""
    gains: dict[str, list[float]] = {name: [] for name in BACKENDS}
    for noise in NOISES:
        for snr in SNRS:
            line = []
            for name in BACKENDS:
                processor = cast(AudioProcessor, backends.get(name))
                got = []
                for speech in readings:
                    noisy = mixture(speech, noise, snr)
                    clean = processor.process(Audio(noisy, RATE))[0].samples
                    got.append(si_sdr(speech, clean) - si_sdr(speech, noisy))
                gains[name] += got
                line.append(f"{name} {np.mean(got):+.1f} dB")
            report(f"enhancement, LibriVox + OpenSFX {noise.lower()} at {snr} dB SNR: "
                   f"SI-SDR gain {', '.join(line)}")
    return gains


def test_deepfilternet_improves_real_speech_in_real_noise(scores: dict[str, list[float]]
                                                          ) -> None:
    gains = np.array(scores["deepfilternet3"])
    assert gains.mean() > 5.5 and (gains > 0).all(), gains


def test_deepfilternet_beats_spectral_gating(scores: dict[str, list[float]]) -> None:
    assert np.mean(scores["deepfilternet3"]) > np.mean(scores["spectral-gate"]) + 2.0


def test_the_speech_stays_where_it_was(backends: BackendCache, readings: list[np.ndarray]
                                       ) -> None:
    speech = readings[0]
    out = cast(AudioProcessor, backends.get("deepfilternet3")).process(
        Audio(mixture(speech, "Wind", 5), RATE))[0].samples
    assert len(out) == len(speech)
    lags = np.arange(-480, 481)
    middle = slice(RATE, RATE + 2 * RATE)  # two seconds of reading
    fit = [np.dot(speech[middle], np.roll(out, -lag)[middle]) for lag in lags]
    assert abs(int(lags[int(np.argmax(fit))])) <= 2  # within 2 samples of the clean speech


def test_it_is_the_embedded_enhancer(backends: BackendCache) -> None:
    assert backends.for_task("speech_enhancement").name == "deepfilternet3"
