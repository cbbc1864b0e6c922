"""Binaural rendering: interaural time and level differences measured on the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core_agent.types import Attachment, Message
from media.audio import Audio
from media.decode import decode
from models.binaural.spherical_head import SphericalHead, interaural_delay
from tests.conftest import report
from tests.samples import espeak
from workers.runtime import Runtime

RATE = 48_000
ITD_TOLERANCE = 1e-4  # seconds (0.1 ms)


def measured_itd(stereo: np.ndarray, rate: int = RATE) -> float:
    """How much the left ear lags the right (seconds), by GCC-PHAT within ±1 ms."""
    left, right = stereo[:, 0], stereo[:, 1]
    n = 2 * len(left)
    cross = np.fft.rfft(left, n) * np.conj(np.fft.rfft(right, n))
    cc = np.fft.irfft(cross / (np.abs(cross) + 1e-12), n)
    m = int(0.001 * rate)
    window = np.concatenate([cc[-m:], cc[: m + 1]])
    return float(np.argmax(window) - m) / rate


def level_difference_db(stereo: np.ndarray) -> float:
    """Right minus left level, in dB."""
    rms = np.sqrt(np.mean(stereo.astype(np.float64) ** 2, axis=0))
    return float(20 * np.log10(rms[1] / rms[0]))


@pytest.fixture(scope="module")
def noise() -> Audio:
    return Audio((0.1 * np.random.default_rng(7).standard_normal(2 * RATE)).astype(np.float32),
                 RATE)


@pytest.mark.parametrize(("azimuth", "elevation"), [
    (-90, 0), (-30, 0), (0, 0), (20, 0), (45, 0), (90, 0), (135, 0), (180, 0), (60, 45),
])
def test_time_difference_matches_the_asked_direction(noise: Audio, azimuth: float,
                                                     elevation: float) -> None:
    out = SphericalHead().render(noise, azimuth, elevation).samples
    assert out.shape == (len(noise.samples), 2)
    want = float(interaural_delay(np.array([azimuth]), np.array([elevation]))[0])
    got = measured_itd(out)
    assert abs(got - want) < ITD_TOLERANCE, (got, want)
    ild = level_difference_db(out)
    if abs(azimuth) in (0, 180):
        assert abs(ild) < 0.5
    else:
        assert np.sign(ild) == np.sign(azimuth) and abs(ild) > 3.0, ild


def test_a_moving_source_crosses_from_right_to_left(noise: Audio) -> None:
    long = Audio(np.tile(noise.samples, 4), RATE)  # 8 s: one turn around the head
    out = SphericalHead().render(long, None).samples
    quarter = len(out) // 4
    right = out[quarter - RATE // 4: quarter + RATE // 4]  # azimuth about 90
    left = out[3 * quarter - RATE // 4: 3 * quarter + RATE // 4]  # azimuth about -90
    assert measured_itd(right) > 4e-4 and level_difference_db(right) > 3.0
    assert measured_itd(left) < -4e-4 and level_difference_db(left) < -3.0


def test_distance_lowers_the_level(noise: Audio) -> None:
    near = SphericalHead().render(noise, 30.0, distance=1.0).samples
    far = SphericalHead().render(noise, 30.0, distance=4.0).samples
    drop = 20 * np.log10(np.sqrt(np.mean(near ** 2)) / np.sqrt(np.mean(far ** 2)))
    assert abs(drop - 12.04) < 0.5  # inverse distance: -6 dB per doubling


async def test_binaural_through_the_agent_keeps_its_cues(runtime: Runtime, tmp_path: Path
                                                         ) -> None:
    speech = espeak("the package arrives on monday afternoon", tmp_path / "speech.wav")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:binaural", text="make this binaural, coming from my left",
        attachments=[Attachment(path=speech, filename=speech.name)]))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert (step.task, step.args["azimuth"]) == ("mono_to_binaural", -90.0)
    (out,) = reply.artifacts
    assert out.channels == 2 and out.mime == "audio/ogg"
    stereo = decode(out.path, RATE, mono=False).samples
    itd = measured_itd(stereo)
    report(f"binaural at -90°: ITD {itd * 1000:.3f} ms after OGG/Opus "
           f"(model {interaural_delay(np.array([-90.0]), np.array([0.0]))[0] * 1000:.3f} ms), "
           f"ILD {level_difference_db(stereo):.1f} dB")
    assert abs(itd - float(interaural_delay(np.array([-90.0]), np.array([0.0]))[0])) < 1e-4
    assert level_difference_db(stereo) < -3.0
