"""MetricGAN+ speech enhancement (neural catalog): pulled from the hub stand-in, loaded from
speechbrain's own checkpoint layout, and checked through its signal path.

The checkpoints have the real size with random weights (tests/neural/); the signal-path
tests set the last layer so that the mask is a known constant, which makes the output exact:
a mask of one must give the input back, a mask of c must compress every STFT magnitude |X|
to (1 + |X|)^c - 1 under the noisy phase, both after speechbrain's peak normalisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librosa
import numpy as np
import pytest
import torch

from core_agent.errors import BackendUnavailable, Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Kind, Message
from media.audio import Audio
from media.decode import decode
from media.probe import probe
from models.nets.metricgan import CEILING
from models.registry import backends_for
from models.settings import ModelSettings
from models.speech_enhancement.metricgan import CHECKPOINT, MetricGanPlus
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.speech_enhancement import metricgan_state, random_metricgan
from tests.samples import add_noise, convert, espeak
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

RATE = 16_000  # Hz, the model's own rate: no resampling between input and output
CEILING_OUT = 0.99  # limit_peak's ceiling after the peak normalisation


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({MetricGanPlus.entry.repo: random_metricgan()}) as server:
        yield server


def constant_mask(c: float) -> dict[str, Any]:
    """Random weights whose mask is c everywhere: the last linear layer gives the logit of
    c / CEILING whatever the BLSTM says, and the learnable sigmoid's slope is one."""
    state = metricgan_state()
    state["linear2.weight"] = torch.zeros_like(state["linear2.weight"])
    state["linear2.bias"] = torch.full_like(state["linear2.bias"], math.log(c / (CEILING - c)))
    return state


def enhancer(folder: Path, state: dict[str, Any]) -> MetricGanPlus:
    folder.mkdir(exist_ok=True)
    torch.save(state, folder / CHECKPOINT)
    backend = MetricGanPlus(folder)
    backend.load()
    return backend


def noisy(seconds: float, seed: int = 0) -> np.ndarray:
    """A tone with noise at 16 kHz, its peak at 0.5."""
    t = np.arange(round(seconds * RATE)) / RATE
    x = np.sin(2 * np.pi * 440 * t) + np.random.default_rng(seed).standard_normal(len(t))
    return (0.5 * x / np.abs(x).max()).astype(np.float32)


async def test_pull_then_the_agent_cleans_a_noisy_voice_note(
        hub: HubStandIn, empty_runtime: Runtime, tmp_path: Path) -> None:
    speech = espeak("please call me back after the meeting", tmp_path / "speech.wav")
    note = convert(add_noise(speech, tmp_path / "noisy.wav"), tmp_path / "noisy.ogg")
    done = await pull_async(hub, empty_runtime, "speech_enhancement")
    assert done.returncode == 0, done.stderr
    assert MetricGanPlus.installed(ModelSettings.of(empty_runtime.settings))
    assert backends_for("speech_enhancement")[0] is MetricGanPlus  # ahead of spectral gating
    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:enhance", text="remove the background noise from this",
        attachments=[Attachment(path=note, filename=note.name)]))
    assert reply.error_code is None, reply.text
    assert [(j.task, j.backend) for j in rows(empty_runtime, Job, purpose="plan")] == [
        ("speech_enhancement", MetricGanPlus.name)]
    (cleaned,) = reply.artifacts
    assert (cleaned.kind, cleaned.mime) == (Kind.AUDIO, "audio/ogg")
    source = probe(note).duration
    assert cleaned.duration is not None and source is not None
    assert abs(cleaned.duration - source) < 0.03
    assert np.abs(decode(cleaned.path, RATE).samples).max() > 0.1  # peak-normalised, not silent


async def test_a_damaged_checkpoint_gets_a_clear_reply(hub: HubStandIn, empty_runtime: Runtime,
                                                       tmp_path: Path) -> None:
    assert (await pull_async(hub, empty_runtime, "speech_enhancement")).returncode == 0
    state = metricgan_state()
    state["linear1.w.weight"] = state.pop("linear1.weight")  # another layout's key
    torch.save(state, empty_runtime.settings.models_dir / MetricGanPlus.entry.name / CHECKPOINT)
    note = convert(espeak("hello there", tmp_path / "speech.wav"), tmp_path / "note.ogg")
    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:damaged", text="denoise this please",
        attachments=[Attachment(path=note, filename=note.name)]))
    assert reply.error_code == "model-not-installed"
    assert "audiogpt models pull speech_enhancement" in reply.text
    assert "missing linear1.weight" in reply.text and "unexpected linear1.w.weight" in reply.text
    assert "Traceback" not in reply.text


def test_refuses_what_is_not_the_generator(tmp_path: Path) -> None:
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    (truncated / CHECKPOINT).write_bytes((random_metricgan() / CHECKPOINT).read_bytes()[:5000])
    with pytest.raises(BackendUnavailable, match="is not a PyTorch checkpoint"):
        MetricGanPlus(truncated).load()
    state = metricgan_state()
    state["linear2.weight"] = torch.zeros(256, 300)
    with pytest.raises(BackendUnavailable, match=r"wrong shape linear2\.weight"):
        enhancer(tmp_path / "resized", state)


@pytest.mark.parametrize("rate, samples", [(48_000, 96_001), (44_100, 44_100), (16_000, 8_123)])
def test_keeps_the_rate_and_length(rate: int, samples: int) -> None:
    backend = MetricGanPlus(random_metricgan())
    backend.load()
    x = np.random.default_rng(1).uniform(-0.3, 0.3, samples).astype(np.float32)
    (out,) = backend.process(Audio(x, rate))
    assert out.sample_rate == rate and len(out.samples) == samples
    assert np.isfinite(out.samples).all() and abs(np.abs(out.samples).max() - CEILING_OUT) < 0.02
    with pytest.raises(Unsupported, match="too short"):
        backend.process(Audio(x[: rate // 100], rate))


def test_a_mask_of_one_gives_the_input_back_across_chunks(tmp_path: Path) -> None:
    backend = enhancer(tmp_path / "one", constant_mask(1.0))
    x = noisy(64.0)  # two chunks, cross-faded over two seconds
    (out,) = backend.process(Audio(x, RATE))
    assert np.abs(out.samples - x / 0.5 * CEILING_OUT).max() < 1e-5


def test_a_constant_mask_compresses_magnitudes_as_the_maths_says(tmp_path: Path) -> None:
    c = 0.5
    backend = enhancer(tmp_path / "half", constant_mask(c))
    x = noisy(2.0, seed=3)
    (out,) = backend.process(Audio(x, RATE))
    # The same pipeline written out with librosa: speechbrain's STFT (periodic Hamming,
    # 512/256, centred, zero-padded), magnitude (1+|X|)^c - 1 with the noisy phase, iSTFT.
    spectrum = librosa.stft(x.astype(np.float64), n_fft=512, hop_length=256, window="hamming",
                            center=True, pad_mode="constant")
    magnitude = np.expm1(c * np.log1p(np.sqrt(np.abs(spectrum) ** 2 + 1e-14)))
    expected = librosa.istft(magnitude * np.exp(1j * np.angle(spectrum)), n_fft=512,
                             hop_length=256, window="hamming", center=True, length=len(x))
    expected *= CEILING_OUT / np.abs(expected).max()
    assert np.abs(out.samples - expected).max() < 1e-5
    assert np.abs(out.samples - x / 0.5 * CEILING_OUT).max() > 0.05  # not the identity
