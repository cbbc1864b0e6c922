"""Mono to binaural with measured HRTFs from a SOFA file (embedded tier, once one is installed).

A SOFA file (AES69, convention SimpleFreeFieldHRIR) holds head-related impulse responses
measured on a person or a dummy head: `Data.IR` [measurements, 2 ears, samples],
`Data.SamplingRate` and `SourcePosition` [measurements, 3]. It is netCDF-4, so HDF5, read
here with h5py. Install one by putting it in `<models dir>/hrtf/` (the first `*.sofa` by
name is used) or by pointing AUDIOGPT_HRTF_SOFA at it; while one is installed this backend
serves mono_to_binaural in place of the spherical-head model.

A direction is rendered from the NEIGHBOURS nearest measured directions (great-circle
distance), weighted by inverse squared angular distance. Each response's onset delay is
taken out before they are mixed and their weighted mean is put back, so the interaural time
difference moves smoothly between measured directions instead of the mix holding two
arrivals. Responses are resampled to the audio's rate and scaled to unit diffuse-field
energy. A fixed source is convolved; a moving one is rendered frame by frame in the
short-time Fourier domain as the spherical model does. Distance scales the level as there.

SOFA azimuths turn counterclockwise (90° is the left ear); ours turn clockwise (90° right).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.errors import BackendUnavailable, MediaError
from media.audio import Audio, limit_peak
from models.base import Backend
from models.binaural.base import BinauralRenderer
from models.binaural.spherical_head import FRAME, MIN_DISTANCE, source_azimuths
from models.settings import BARE, ModelSettings

log = logging.getLogger(__name__)
HRTF_FOLDER = "hrtf"  # under the models folder
CONVENTIONS = ("SimpleFreeFieldHRIR", "GeneralFIR")  # both hold [M, R, N] impulse responses
MAX_TAPS = 16_384  # longer responses are rooms, not free-field HRIRs
NEIGHBOURS = 3  # measured directions mixed for one asked for
EXACT = np.deg2rad(0.01)  # closer than this to a measured direction: that one alone
ONSET_LEVEL = 0.1  # an onset is where a response first reaches -20 dB of its peak
PRE_ONSET = 8  # samples kept ahead of an onset (a fractional delay rings before it)
UPSAMPLE = 8  # onsets are found to 1/8 sample
CHUNK = 256  # responses upsampled at a time (bounds memory for large sets)
AZIMUTH_STEP = 0.5  # degrees; a moving source's directions are rounded to this


class SofaError(MediaError):
    """A SOFA file that does not hold usable HRIRs; the message names the file and why (for
    the operator's log: it holds a path)."""

    code = "hrtf-unusable"

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"HRTF file {path}: {problem}")
        self.path, self.problem = path, problem


@dataclass(frozen=True)
class Hrirs:
    """Measured responses, left ear first, and their directions as unit vectors."""

    ir: np.ndarray  # [M, 2, N]; empty N when only the header was read
    rate: int  # Hz
    directions: np.ndarray  # [M, 3]: x ahead, y left, z up (SOFA's axes)


def _text(value: Any) -> str:
    """An attribute as text (netCDF writes them as bytes or byte arrays)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()[0] if value.size else ""
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _directions(positions: np.ndarray, attrs: Any, path: Path) -> np.ndarray:
    """SourcePosition (spherical degrees or cartesian metres) as unit vectors."""
    kind = _text(attrs.get("Type", "spherical")).strip().lower()
    if kind == "cartesian":
        vectors = positions
    elif kind == "spherical":
        units = _text(attrs.get("Units", "degree, degree, metre")).lower()
        if "degree" not in units:
            raise SofaError(path, f"SourcePosition has Units {units!r}; SOFA uses "
                                  "'degree, degree, metre' for spherical positions")
        az, el = np.deg2rad(positions[:, 0]), np.deg2rad(positions[:, 1])
        vectors = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], 1)
    else:
        raise SofaError(path, f"SourcePosition has Type {kind!r}, not spherical or cartesian")
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise SofaError(path, "SourcePosition holds a direction that is not finite or zero")
    return np.asarray(vectors / norms)


def _left_first(f: Any) -> bool:
    """Whether receiver 0 is the left ear (SOFA's +y), where ReceiverPosition says."""
    if "ReceiverPosition" not in f or _text(
            f["ReceiverPosition"].attrs.get("Type", "cartesian")).lower() != "cartesian":
        return True
    where = np.asarray(f["ReceiverPosition"][()], dtype=np.float64)
    if where.ndim < 2 or where.shape[0] != 2 or where.shape[1] != 3:
        return True
    return bool(where[0, 1].ravel()[0] >= where[1, 1].ravel()[0])


def _parse(f: Any, path: Path, with_data: bool) -> Hrirs:
    conventions = _text(f.attrs.get("SOFAConventions", ""))
    if conventions and conventions not in CONVENTIONS:
        raise SofaError(path, f"its convention is {conventions}; this renderer reads "
                              f"{' or '.join(CONVENTIONS)}")
    for name in ("Data.IR", "Data.SamplingRate", "SourcePosition"):
        if name not in f:
            raise SofaError(path, f"it has no {name} variable")
    ir = f["Data.IR"]
    if ir.ndim != 3 or ir.shape[1] != 2 or 0 in ir.shape or ir.shape[2] > MAX_TAPS:
        raise SofaError(path, f"Data.IR has dimensions {tuple(ir.shape)}, not [measurements, "
                              f"2 ears, 1 to {MAX_TAPS} samples]")
    rates = np.asarray(f["Data.SamplingRate"][()], dtype=np.float64).ravel()
    if rates.size == 0 or np.any(rates != rates[0]) or not 4000 <= rates[0] <= 384_000:
        raise SofaError(path, f"Data.SamplingRate is {rates.tolist()}, not one rate in Hz")
    positions = np.asarray(f["SourcePosition"][()], dtype=np.float64)
    if positions.shape != (ir.shape[0], 3):
        raise SofaError(path, f"SourcePosition has dimensions {positions.shape}, not "
                              f"[{ir.shape[0]} measurements, 3]")
    directions = _directions(positions, f["SourcePosition"].attrs, path)
    data = np.empty((ir.shape[0], 2, 0))
    if with_data:
        data = np.asarray(ir[()], dtype=np.float64)
        if not np.all(np.isfinite(data)) or not np.all(np.any(data != 0, axis=2)):
            raise SofaError(path, "Data.IR holds values that are not finite, or silent responses")
        data = data if _left_first(f) else data[:, ::-1]
    return Hrirs(data, round(rates[0]), directions)


def read_sofa(path: Path, with_data: bool = True) -> Hrirs:
    """The HRIRs of a SOFA file (with_data False: only check it and read its directions);
    SofaError naming the file and what is wrong when it is not usable."""
    import h5py  # in the default install; imported here so the registry loads without it

    try:
        with h5py.File(path, "r") as f:
            return _parse(f, path, with_data)
    except (OSError, KeyError, TypeError) as err:
        raise SofaError(path, f"not a readable SOFA (netCDF-4/HDF5) file: {err}") from err


@lru_cache(maxsize=16)
def _problem(path: Path, mtime_ns: int, size: int) -> str | None:
    """Why a file is not usable (logged once per version of the file), or None."""
    try:
        read_sofa(path, with_data=False)
    except SofaError as err:
        log.warning("not using %s; the spherical-head model serves mono_to_binaural", err)
        return err.problem
    return None


def onsets(ir: np.ndarray) -> np.ndarray:
    """Where each response [..., N] starts (samples, to 1/UPSAMPLE): where it first reaches
    ONSET_LEVEL of its peak, on a band-limited upsampled copy so the point does not jump
    with a response's fractional delay."""
    from scipy import signal

    n = ir.shape[-1]
    flat = ir.reshape(-1, n)
    found = np.empty(len(flat))
    for start in range(0, len(flat), CHUNK):
        padded = np.pad(flat[start:start + CHUNK], ((0, 0), (0, n)))  # no wrap-around
        fine = np.abs(signal.resample(padded, 2 * n * UPSAMPLE, axis=1))
        first = np.argmax(fine >= ONSET_LEVEL * fine.max(axis=1, keepdims=True), axis=1)
        found[start:start + CHUNK] = first / UPSAMPLE
    return found.reshape(ir.shape[:-1])


class HrtfSet:
    """Measured responses at one sample rate, onsets taken out, ready to mix."""

    def __init__(self, hrirs: Hrirs, rate: int) -> None:
        from scipy import signal

        ir = hrirs.ir / np.sqrt(np.mean(np.sum(hrirs.ir ** 2, axis=2)))  # unit diffuse energy
        if rate != hrirs.rate:
            step = Fraction(rate, hrirs.rate).limit_denominator(1000)
            ir = signal.resample_poly(ir, step.numerator, step.denominator, axis=2)
        n = ir.shape[2]
        self.delays = np.maximum(onsets(ir) - PRE_ONSET, 0.0)  # [M, 2] samples
        nfft = 1 << int(np.ceil(np.log2(2 * n)))
        advance = np.exp(2j * np.pi * np.arange(nfft // 2 + 1) * self.delays[..., None] / nfft)
        self.residual = np.fft.irfft(np.fft.rfft(ir, nfft) * advance, nfft)[..., :n]  # [M, 2, N]
        self.directions = hrirs.directions
        self.length = n + int(np.ceil(self.delays.max()))  # longest mixed response

    def mix(self, azimuth: float, elevation: float) -> tuple[np.ndarray, np.ndarray]:
        """Onset-free response [2, N] and delays [2] (samples) for one direction (ours)."""
        az, el = np.deg2rad(-azimuth), np.deg2rad(elevation)
        want = np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])
        angles = np.arccos(np.clip(self.directions @ want, -1.0, 1.0))
        nearest = np.argsort(angles)[:NEIGHBOURS]
        if angles[nearest[0]] < EXACT:
            nearest = nearest[:1]
        weights = 1.0 / np.maximum(angles[nearest], EXACT) ** 2
        weights /= weights.sum()
        return (np.tensordot(weights, self.residual[nearest], axes=1),
                weights @ self.delays[nearest])

    def spectrum(self, azimuth: float, elevation: float, nfft: int) -> np.ndarray:
        """Both ears' transfer functions for one direction, [2, nfft // 2 + 1]."""
        residual, delays = self.mix(azimuth, elevation)
        bins = np.arange(nfft // 2 + 1)
        return np.fft.rfft(residual, nfft) * np.exp(-2j * np.pi * bins * delays[:, None] / nfft)


def render_fixed(x: np.ndarray, hrtfs: HrtfSet, azimuth: float, elevation: float) -> np.ndarray:
    """Two ears by convolution with the direction's responses."""
    from scipy import signal

    nfft = 1 << int(np.ceil(np.log2(2 * hrtfs.length)))
    responses = np.fft.irfft(hrtfs.spectrum(azimuth, elevation, nfft), nfft)[:, :hrtfs.length]
    return np.stack([signal.oaconvolve(x, h)[: len(x)] for h in responses], axis=1)


def render_moving(x: np.ndarray, rate: int, hrtfs: HrtfSet, azimuth: np.ndarray,
                  elevation: float, frame: int) -> np.ndarray:
    """Two ears frame by frame; azimuth holds one angle per STFT frame (degrees)."""
    from scipy import signal

    hop = frame // 4
    _, _, spec = signal.stft(x, rate, nperseg=frame, noverlap=frame - hop, boundary="even")
    rounded = np.round(np.resize(azimuth, spec.shape[1]) / AZIMUTH_STEP) * AZIMUTH_STEP
    angles, which = np.unique(rounded, return_inverse=True)
    table = np.stack([hrtfs.spectrum(a, elevation, frame) for a in angles])  # [A, 2, F]
    ears = []
    for ear in range(2):
        _, out = signal.istft(spec * table[which, ear].T, rate, nperseg=frame,
                              noverlap=frame - hop, boundary=True)
        ears.append(out[: len(x)])
    return np.stack(ears, axis=1)


class SofaHrtf(BinauralRenderer):
    """Binaural rendering with measured HRTFs from an installed SOFA file."""

    name = "sofa-hrtf"
    task = "mono_to_binaural"
    model = "Measured HRTFs from a SOFA file"
    license = "that of the SOFA file installed (its GLOBAL:License attribute)"
    requires = ("h5py", "scipy")
    install_hint = ("put a SOFA file (SimpleFreeFieldHRIR) in <models dir>/hrtf/, or set "
                    "AUDIOGPT_HRTF_SOFA to its path")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.hrirs: Hrirs | None = None
        self._sets: dict[int, HrtfSet] = {}  # by sample rate

    @staticmethod
    def check(settings: ModelSettings) -> None:
        """Refuse a configured file that is not usable (SofaError), at start-up rather than
        at the first request."""
        if settings.hrtf_sofa is not None:
            read_sofa(settings.hrtf_sofa, with_data=False)

    @staticmethod
    def locate(settings: ModelSettings) -> Path | None:
        """The configured file, else the first *.sofa in <models dir>/hrtf/, else None."""
        if settings.hrtf_sofa is not None:
            return settings.hrtf_sofa
        folder = settings.folder / HRTF_FOLDER if settings.folder is not None else None
        found = sorted(folder.glob("*.sofa")) if folder is not None and folder.is_dir() else []
        return found[0] if found else None

    @classmethod
    def installed(cls, settings: ModelSettings = BARE) -> bool:
        path = cls.locate(settings)
        if path is None or not super().installed(settings):
            return False
        try:
            stat = path.stat()
        except OSError:
            return False
        return _problem(path, stat.st_mtime_ns, stat.st_size) is None

    @classmethod
    def create(cls, settings: ModelSettings = BARE) -> Backend:
        """An unloaded instance on the located file; SofaError if that file is not usable."""
        path = cls.locate(settings)
        if path is None or not super().installed(settings):
            raise BackendUnavailable(cls.model, cls.install_hint)
        read_sofa(path, with_data=False)
        return cls(path).with_settings(settings)

    def load(self) -> None:
        """Read the responses."""
        self.hrirs = read_sofa(self.path)
        log.info("HRTFs from %s: %d directions, %d taps at %d Hz", self.path,
                 len(self.hrirs.directions), self.hrirs.ir.shape[2], self.hrirs.rate)

    def at_rate(self, rate: int) -> HrtfSet:
        """The responses resampled to a rate (made once per rate)."""
        if self.hrirs is None:
            self.load()
        assert self.hrirs is not None
        if rate not in self._sets:
            self._sets[rate] = HrtfSet(self.hrirs, rate)
        return self._sets[rate]

    def render(self, audio: Audio, azimuth: float | None, elevation: float = 0.0,
               distance: float = 1.0) -> Audio:
        """Stereo for headphones; azimuth None circles the head as the spherical model does."""
        x, rate = audio.mono.astype(np.float64), audio.sample_rate
        hrtfs = self.at_rate(rate)
        if azimuth is not None:
            ears = render_fixed(x, hrtfs, azimuth, elevation)
        else:
            frame = max(FRAME, 1 << int(np.ceil(np.log2(4 * hrtfs.length))))
            hop = frame // 4
            ears = render_moving(x, rate, hrtfs, source_azimuths(audio, None, len(x) // hop + 2,
                                                                 hop), elevation, frame)
        return Audio(limit_peak(ears / max(distance, MIN_DISTANCE)), rate)
