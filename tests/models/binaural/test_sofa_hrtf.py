"""Measured HRTFs from a SOFA file: a file made here from a known time and level law, rendered
through the backend and the executor, with the cues measured on the output."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from core_agent.types import Artifact, Kind
from media.audio import Audio
from media.decode import decode
from media.encode import write_wav
from models.binaural.sofa_hrtf import HRTF_FOLDER, SofaError, SofaHrtf, read_sofa
from models.binaural.spherical_head import SphericalHead
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from tasks.mono_to_binaural import BinauralArgs
from tests.conftest import make_settings, report
from tests.models.binaural.test_binaural import level_difference_db, measured_itd
from workers.runtime import build_runtime
from workers.steps import executor_for

RATE = 48_000
HEAD = 0.095  # m; the file's law is not the spherical model's (0.0875 m), to tell them apart
ILD_AT_SIDE = 12.0  # dB, right minus left for a source at 90°
TAPS = 256
ONSET = 40.0  # samples before the earlier ear hears the source
ITD_TOLERANCE = 5e-5  # seconds
ILD_TOLERANCE = 1.0  # dB


def lateral(azimuth: float, elevation: float) -> float:
    """Angle off the median plane (radians, right positive); our azimuths."""
    return float(np.arcsin(np.sin(np.deg2rad(azimuth)) * np.cos(np.deg2rad(elevation))))


def file_itd(azimuth: float, elevation: float = 0.0) -> float:
    """The file's interaural time difference (seconds, positive: the left ear lags)."""
    angle = lateral(azimuth, elevation)
    return HEAD / 343.0 * (angle + np.sin(angle))


def file_ild(azimuth: float, elevation: float = 0.0) -> float:
    """The file's level difference, right minus left (dB)."""
    return ILD_AT_SIDE * np.sin(lateral(azimuth, elevation))


def delayed(delay: float, gain: float) -> np.ndarray:
    """A gain and a fractional delay (samples): a Hann-windowed sinc."""
    n = np.arange(TAPS) - delay
    return gain * np.sinc(n) * np.where(np.abs(n) < 32, np.cos(np.pi * n / 64) ** 2, 0.0)


def write_sofa(path: Path, rate: int = RATE, drop: str | None = None,
               ir_shape: tuple[int, ...] | None = None) -> Path:
    """A SimpleFreeFieldHRIR file: 72 azimuths x 3 elevations of pure delays and gains, in
    SOFA's own axes (azimuth counterclockwise: 90° is the left)."""
    grid = [(az, el) for el in (-30.0, 0.0, 30.0) for az in np.arange(0.0, 360.0, 5.0)]
    ir = np.zeros((len(grid), 2, TAPS))
    for m, (sofa_az, el) in enumerate(grid):
        ours = -sofa_az
        itd, ild = file_itd(ours, el) * rate, file_ild(ours, el)
        ir[m, 0] = delayed(ONSET + max(itd, 0.0), 10 ** (-ild / 40))
        ir[m, 1] = delayed(ONSET + max(-itd, 0.0), 10 ** (ild / 40))
    with h5py.File(path, "w") as f:
        f.attrs["Conventions"], f.attrs["SOFAConventions"] = b"SOFA", b"SimpleFreeFieldHRIR"
        if drop != "Data.IR":
            f["Data.IR"] = ir if ir_shape is None else np.zeros(ir_shape)
        f["Data.SamplingRate"] = np.array([float(rate)])
        f["Data.SamplingRate"].attrs["Units"] = b"hertz"
        f["SourcePosition"] = np.array([(az, el, 1.2) for az, el in grid])
        f["SourcePosition"].attrs["Type"] = b"spherical"
        f["SourcePosition"].attrs["Units"] = b"degree, degree, metre"
        f["ReceiverPosition"] = np.array([[[0.0], [HEAD], [0.0]], [[0.0], [-HEAD], [0.0]]])
        f["ReceiverPosition"].attrs["Type"] = b"cartesian"
    return path


@pytest.fixture(scope="module")
def sofa(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sofa(tmp_path_factory.mktemp("hrtf") / "subject.sofa")


@pytest.fixture(scope="module")
def backend(sofa: Path) -> SofaHrtf:
    loaded = SofaHrtf(sofa)
    loaded.load()
    return loaded


@pytest.fixture(scope="module")
def noise_wav(tmp_path_factory: pytest.TempPathFactory) -> Artifact:
    samples = 0.1 * np.random.default_rng(11).standard_normal(RATE).astype(np.float32)
    path = write_wav(Audio(samples, RATE), tmp_path_factory.mktemp("noise") / "noise.wav")
    return Artifact(id="n", handle="a1", kind=Kind.AUDIO, mime="audio/wav", path=path,
                    producer="upload", duration=1.0, sample_rate=RATE, channels=1)


@pytest.mark.parametrize(("azimuth", "elevation"), [
    (-90, 0), (-30, 0), (0, 0), (37, 0), (90, 0), (135, 0), (-112.5, 0), (60, 30), (20, 15),
])
def test_the_cues_are_the_files(backend: SofaHrtf, noise_wav: Artifact, tmp_path: Path,
                                azimuth: float, elevation: float) -> None:
    args = BinauralArgs(audio="a1", azimuth=azimuth, elevation=elevation, distance=1.0)
    out = executor_for("mono_to_binaural")(backend, args, {"audio": noise_wav}, tmp_path)
    (ogg,) = out.files
    stereo = decode(ogg.path, RATE, mono=False).samples
    exact = decode(tmp_path / "binaural.wav", RATE, mono=False).samples  # before OGG/Opus
    want_itd, want_ild = file_itd(azimuth, elevation), file_ild(azimuth, elevation)
    for got in (exact, stereo):
        assert abs(measured_itd(got) - want_itd) < ITD_TOLERANCE, (measured_itd(got), want_itd)
        assert abs(level_difference_db(got) - want_ild) < ILD_TOLERANCE, level_difference_db(got)
    report(f"SOFA HRTF at {azimuth:g}°/{elevation:g}°: ITD {measured_itd(stereo) * 1e3:.3f} ms "
           f"after OGG/Opus (file {want_itd * 1e3:.3f}), ILD {level_difference_db(stereo):.1f} "
           f"dB (file {want_ild:.1f})")


def test_a_file_at_another_rate_is_resampled(tmp_path: Path) -> None:
    slower = SofaHrtf(write_sofa(tmp_path / "44k.sofa", rate=44_100))
    noise = Audio(0.1 * np.random.default_rng(3).standard_normal(RATE).astype(np.float32), RATE)
    for azimuth in (-60.0, 90.0):
        out = slower.render(noise, azimuth).samples
        assert abs(measured_itd(out) - file_itd(azimuth)) < ITD_TOLERANCE
        assert abs(level_difference_db(out) - file_ild(azimuth)) < ILD_TOLERANCE
        report(f"SOFA HRTF at 44.1 kHz, rendered at 48 kHz, {azimuth:g}°: ITD "
               f"{measured_itd(out) * 1e3:.3f} ms (file {file_itd(azimuth) * 1e3:.3f}), ILD "
               f"{level_difference_db(out):.1f} dB (file {file_ild(azimuth):.1f})")


def test_a_moving_source_crosses_from_right_to_left(backend: SofaHrtf) -> None:
    noise = 0.1 * np.random.default_rng(5).standard_normal(8 * RATE).astype(np.float32)
    out = backend.render(Audio(noise, RATE), None).samples  # one turn in 8 s
    quarter = len(out) // 4
    right = out[quarter - RATE // 4: quarter + RATE // 4]  # azimuth about 90
    left = out[3 * quarter - RATE // 4: 3 * quarter + RATE // 4]  # azimuth about -90
    assert abs(measured_itd(right) - file_itd(90)) < 1e-4 and level_difference_db(right) > 8
    assert abs(measured_itd(left) - file_itd(-90)) < 1e-4 and level_difference_db(left) < -8


def test_distance_lowers_the_level(backend: SofaHrtf) -> None:
    noise = Audio(0.1 * np.random.default_rng(9).standard_normal(RATE).astype(np.float32), RATE)
    near, far = backend.render(noise, 30.0).samples, backend.render(noise, 30.0, distance=4).samples
    drop = 20 * np.log10(np.sqrt(np.mean(near ** 2)) / np.sqrt(np.mean(far ** 2)))
    assert abs(drop - 12.04) < 0.1


def test_an_installed_file_is_preferred_to_the_spherical_head(sofa: Path, tmp_path: Path
                                                              ) -> None:
    models = ModelSettings(tmp_path / "models")
    assert isinstance(BackendCache(models).for_task("mono_to_binaural"), SphericalHead)
    (tmp_path / "models" / HRTF_FOLDER).mkdir(parents=True)
    (tmp_path / "models" / HRTF_FOLDER / "kemar.sofa").write_bytes(sofa.read_bytes())
    chosen = BackendCache(models).for_task("mono_to_binaural")
    assert isinstance(chosen, SofaHrtf) and chosen.path.name == "kemar.sofa"


async def test_the_setting_installs_a_file_for_the_agent(sofa: Path, tmp_path: Path,
                                                        embedder: MiniLMEmbedder) -> None:
    settings = make_settings(tmp_path / "data", hrtf_sofa=sofa)
    cache = BackendCache(ModelSettings.of(settings))
    rt = build_runtime(settings, embedder=embedder, backends=cache)
    try:
        assert SofaHrtf.installed(ModelSettings.of(settings))
        assert not SofaHrtf.installed()  # a setting of that runtime, not of the process
        chosen = rt.runner.ctx["backends"].for_task("mono_to_binaural")  # type: ignore[union-attr]
        assert isinstance(chosen, SofaHrtf) and chosen.path == sofa
    finally:
        await rt.aclose()


@pytest.mark.parametrize(("broken", "problem"), [
    ({"drop": "Data.IR"}, "no Data.IR variable"),
    ({"ir_shape": (216, 3, 256)}, "Data.IR has dimensions (216, 3, 256)"),
    ({"ir_shape": (216, 256)}, "Data.IR has dimensions (216, 256)"),
    ({"ir_shape": (10, 2, 256)}, "SourcePosition has dimensions (216, 3), not [10"),
])
def test_a_malformed_file_is_refused_by_name(tmp_path: Path, broken: dict[str, object],
                                             problem: str) -> None:
    path = write_sofa(tmp_path / "broken.sofa", **broken)  # type: ignore[arg-type]
    for attempt in (lambda: read_sofa(path), lambda: SofaHrtf.check(ModelSettings(hrtf_sofa=path))):
        with pytest.raises(SofaError) as refused:
            attempt()
        assert str(path) in str(refused.value) and problem in str(refused.value)
    (tmp_path / "models" / HRTF_FOLDER).mkdir(parents=True)
    path.rename(tmp_path / "models" / HRTF_FOLDER / "broken.sofa")
    models = ModelSettings(tmp_path / "models")
    assert not SofaHrtf.installed(models)  # the spherical head serves, and the log says why
    assert isinstance(BackendCache(models).for_task("mono_to_binaural"), SphericalHead)


def test_a_file_that_is_not_hdf5_is_refused_by_name_at_start(tmp_path: Path,
                                                            embedder: MiniLMEmbedder) -> None:
    path = tmp_path / "notes.sofa"
    path.write_text("not a SOFA file")
    with pytest.raises(SofaError, match="not a readable SOFA"):
        build_runtime(make_settings(tmp_path / "data", hrtf_sofa=path), embedder=embedder)
