"""Mono to binaural with a spherical-head model (embedded tier, signal processing).

Each ear hears the source through the head: an interaural time difference from
Woodworth's formula and a head-shadow filter from Brown and Duda's one-pole, one-zero
model (1998), applied to its magnitude only so that the time difference is exactly the
one asked for. The source may sit still or circle the head; both are done frame by
frame in the short-time Fourier domain, so a moving source glides without clicks.
Elevation enters through the lateral angle (sources above are less lateral); sources
behind are slightly duller, as the pinna shades them. Distance scales the level
(inverse distance, 1 m is unchanged).

Azimuth: 0 ahead, 90 right, -90 left, 180 behind (degrees).
"""

from __future__ import annotations

import numpy as np

from media.audio import Audio, limit_peak
from models.binaural.base import BinauralRenderer

HEAD_RADIUS = 0.0875  # m, an average adult head
SPEED_OF_SOUND = 343.0  # m/s
ALPHA_MIN, THETA_MIN = 0.1, np.deg2rad(150.0)  # Brown & Duda's shadow constants
REAR_SHADE_DB = 4.0  # high-frequency loss for a source straight behind
REAR_SHADE_HZ = 4000.0
FRAME = 2048  # STFT frame; 4x the longest interaural delay keeps circular effects small
HOP = FRAME // 4
MIN_DISTANCE = 0.25  # m; nearer sources would need a near-field model
TURN_SECONDS = 8.0  # a moving source circles the head once in this time (or the clip)


def lateral_angle(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """The angle off the median plane, in radians (positive to the right)."""
    return np.arcsin(np.sin(np.deg2rad(azimuth)) * np.cos(np.deg2rad(elevation)))


def interaural_delay(azimuth: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    """Woodworth's interaural time difference in seconds; positive: the left ear lags."""
    lateral = lateral_angle(azimuth, elevation)
    return HEAD_RADIUS / SPEED_OF_SOUND * (lateral + np.sin(lateral))


def shadow_gain(freqs: np.ndarray, incidence: np.ndarray) -> np.ndarray:
    """|H(f)| of the head-shadow filter for an ear, by the source's angle from that ear's
    axis (radians, 0 = straight at the ear). Shape (freqs, frames)."""
    alpha = (1 + ALPHA_MIN / 2) + (1 - ALPHA_MIN / 2) * np.cos(incidence / THETA_MIN * np.pi)
    w = 2 * np.pi * freqs[:, None] / (2 * SPEED_OF_SOUND / HEAD_RADIUS)
    return np.sqrt((1 + (alpha[None, :] * w) ** 2) / (1 + w ** 2))


def rear_gain(freqs: np.ndarray, azimuth: np.ndarray) -> np.ndarray:
    """A gentle high shelf that dulls sources behind the listener. Shape (freqs, frames)."""
    behind = np.clip(-np.cos(np.deg2rad(azimuth)), 0.0, 1.0)
    shelf = 1.0 / (1.0 + (REAR_SHADE_HZ / np.maximum(freqs, 1.0)) ** 2)
    loss_db = REAR_SHADE_DB * shelf[:, None] * behind[None, :]
    return 10 ** (-loss_db / 20)


def spatialize(x: np.ndarray, rate: int, azimuth: np.ndarray, elevation: float,
               distance: float) -> np.ndarray:
    """Two ears from one channel; azimuth holds one angle per STFT frame (degrees)."""
    from scipy import signal

    freqs, _, spec = signal.stft(x, rate, nperseg=FRAME, noverlap=FRAME - HOP, boundary="even")
    az = np.resize(azimuth, spec.shape[1])
    el = np.full_like(az, elevation)
    itd = interaural_delay(az, el)
    lateral = lateral_angle(az, el)
    common = rear_gain(freqs, az) / max(distance, MIN_DISTANCE)
    ears = []
    for side, lag in ((-1, np.maximum(itd, 0)), (1, np.maximum(-itd, 0))):  # left, right
        incidence = np.abs(lateral - side * np.pi / 2)
        phase = np.exp(-2j * np.pi * freqs[:, None] * lag[None, :])
        _, ear = signal.istft(spec * shadow_gain(freqs, incidence) * common * phase, rate,
                              nperseg=FRAME, noverlap=FRAME - HOP, boundary=True)
        ears.append(ear[: len(x)])
    return limit_peak(np.stack(ears, axis=1))


def source_azimuths(audio: Audio, azimuth: float | None, frames: int, hop: int) -> np.ndarray:
    """The source's azimuth at each of `frames` frames `hop` samples apart (degrees): fixed,
    or (None) circling the head once per TURN_SECONDS (or once in a shorter clip)."""
    if azimuth is not None:
        return np.full(frames, float(azimuth))
    turn = min(TURN_SECONDS, max(audio.duration, 1.0))
    angles = (np.arange(frames) * hop / audio.sample_rate / turn * 360.0) % 360.0
    return np.where(angles > 180, angles - 360, angles)


class SphericalHead(BinauralRenderer):
    """Binaural rendering with a spherical-head model: ITD, head shadow, distance."""

    name = "spherical-head"
    task = "mono_to_binaural"
    model = "Spherical-head HRTF model (signal processing)"
    license = "Apache-2.0 (this project)"
    requires = ("scipy",)

    def load(self) -> None:
        """Nothing to load."""

    def render(self, audio: Audio, azimuth: float | None, elevation: float = 0.0,
               distance: float = 1.0) -> Audio:
        """Stereo for headphones; azimuth None circles the head once per TURN_SECONDS."""
        x = audio.mono
        angles = source_azimuths(audio, azimuth, len(x) // HOP + 2, HOP)
        return Audio(spatialize(x, audio.sample_rate, angles, elevation, distance),
                     audio.sample_rate)
