"""speech_separation, neural catalog: SepFormer (our PyTorch port of SpeechBrain's) on a tiny
random-weight checkpoint in the published layout, pulled from the hub stand-in with
`audiogpt models pull`, then separating two overlapping espeak-ng voices for the agent.

Random weights separate nothing: the tests check what must hold for any weights (strict
loading, track count and length, chunked against single-pass processing, the reply, the
artifacts and the job rows), not the quality.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from core_agent.errors import CheckpointMismatch, Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Message
from media.audio import Audio, resample
from media.decode import decode
from models.embeddings import MiniLMEmbedder
from models.nets.sepformer import load_sepformer
from models.separation.sepformer import PEAK, SepFormerWsj02Mix, correlations, separate_long
from models.settings import ModelSettings
from tests.core_agent.test_agent import rows
from tests.models.conftest import empty_models, pull_async
from tests.neural.separation import SEPFORMER_HYPERPARAMS, tiny_sepformer
from tests.samples import convert, espeak
from tests.stand_ins.hub_server import HubStandIn

RATE = 16_000  # Hz, what the agent decodes uploads at
MODEL_RATE = 8_000  # Hz, hyperparams.yaml's sample_rate
SAID = ("The package arrives on Monday afternoon, so please bring the report.",
        "Seven green bottles were standing on the kitchen wall near the window.")
VOICES = ("en-us", "en-us+f2")  # a low and a high espeak-ng voice


@pytest.fixture(scope="module")
def separator() -> SepFormerWsj02Mix:
    backend = SepFormerWsj02Mix(tiny_sepformer())
    backend.load()
    return backend


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    """Two voices, each alone at 16 kHz, padded to one length at equal loudness."""
    folder = tmp_path_factory.mktemp("voices")
    said = [decode(espeak(text, folder / f"{i}.wav", voice=voice), RATE).samples
            for i, (text, voice) in enumerate(zip(SAID, VOICES, strict=True))]
    length = max(len(x) for x in said)
    first, second = (0.1 * np.pad(x, (0, length - len(x))) / np.sqrt(np.mean(x ** 2))
                     for x in said)
    return first.astype(np.float32), second.astype(np.float32)


def test_the_published_checkpoint_layout_loads_strictly(tmp_path: Path) -> None:
    net = load_sepformer(tiny_sepformer(), "cpu")
    assert (net.sample_rate, net.speakers, net.masknet.K) == (MODEL_RATE, 2, 250)
    assert len(net.masknet.dual_mdl) == 2 and net.encoder.conv1d.stride == (8,)
    names = set(net.masknet.state_dict())  # SpeechBrain's names, down to the position table
    assert {"dual_mdl.1.inter_mdl.mdl.layers.0.self_att.att.in_proj_weight",
            "dual_mdl.0.intra_mdl.mdl.layers.0.pos_ffn.ffn.3.weight",
            "dual_mdl.0.intra_mdl.pos_enc.pe", "dual_mdl.1.inter_norm.weight",
            "output_gate.0.bias", "end_conv1x1.weight", "prelu.weight"} <= names
    renamed = tmp_path / "renamed"
    shutil.copytree(tiny_sepformer(), renamed)
    state = torch.load(renamed / "masknet.ckpt", weights_only=True)
    state["prelu.alpha"] = state.pop("prelu.weight")
    torch.save(state, renamed / "masknet.ckpt")
    with pytest.raises(CheckpointMismatch, match=r"masknet\.ckpt .*1 missing \(prelu\.weight\)"
                       r".*1 unexpected \(prelu\.alpha\)"):
        load_sepformer(renamed, "cpu")


def test_the_sizes_come_from_hyperparams_yaml(tmp_path: Path) -> None:
    wider = tmp_path / "wider"
    shutil.copytree(tiny_sepformer(), wider)
    (wider / "hyperparams.yaml").write_text(
        SEPFORMER_HYPERPARAMS.format(channels=16, layers=1, heads=2, ffn=64))
    with pytest.raises(CheckpointMismatch, match=r"of another shape \(dual_mdl\.0\.inter_mdl"):
        load_sepformer(wider, "cpu")
    other = tmp_path / "resepformer"
    shutil.copytree(tiny_sepformer(), other)
    (other / "hyperparams.yaml").write_text(SEPFORMER_HYPERPARAMS.format(
        channels=16, layers=1, heads=2, ffn=32).replace(
        "dual_path.Dual_Path_Model", "resepformer.ResourceEfficientSeparator"))
    with pytest.raises(CheckpointMismatch, match="not SepFormer's Dual_Path_Model"):
        load_sepformer(other, "cpu")


def test_one_normalised_track_per_voice_as_long_as_the_mixture(
        separator: SepFormerWsj02Mix, speech: tuple[np.ndarray, np.ndarray]) -> None:
    mixture = np.resize(speech[0] + speech[1], 12 * RATE)  # 12 s: two chunks
    tracks = separator.separate(Audio(mixture, RATE))
    assert len(tracks) == separator.speakers == 2
    for track in tracks:
        assert track.sample_rate == MODEL_RATE and len(track.samples) == 12 * MODEL_RATE
        assert np.max(np.abs(track.samples)) == pytest.approx(PEAK, abs=1e-6)
    assert abs(correlations(tracks[0].samples[None], tracks[1].samples[None])[0, 0]) < 0.9
    with pytest.raises(Unsupported, match="too short"):
        separator.separate(Audio(mixture[: RATE // 10], RATE))


def test_chunks_are_put_back_in_order_and_level() -> None:
    """A separator with no context (positive and negative half-waves) that names its sources
    in a different order and at a different level each call: the chunked result is the one
    pass result exactly, so the order and level matching and the cross-fades are exact."""
    x = np.random.default_rng(0).standard_normal(10_000).astype(np.float32)
    calls: list[int] = []

    def scrambled(chunk: np.ndarray) -> np.ndarray:
        calls.append(len(chunk))
        parts = np.stack([np.maximum(chunk, 0), np.minimum(chunk, 0)])
        return parts[:: (-1) ** len(calls)] * (0.5 + 0.4 * (len(calls) % 3))

    single = scrambled(x)
    calls.clear()  # the first chunk comes in the single pass's order and level
    chunked = separate_long(x, scrambled, 2_500, 500)
    assert calls == [2_500, 2_500, 2_500, 2_500, 2_000]
    np.testing.assert_allclose(chunked, single, atol=1e-5)


def test_chunked_and_single_pass_agree(separator: SepFormerWsj02Mix,
                                       speech: tuple[np.ndarray, np.ndarray]) -> None:
    """The real network over 4 s in one pass, and in chunks of 2 s overlapping by 1 s whose
    tracks come back swapped and rescaled every other call (as SepFormer's may)."""
    at_8k = resample(Audio(speech[0] + speech[1], RATE), MODEL_RATE)
    single = separator.separate_pass(at_8k)
    calls: list[int] = []

    def swapping(chunk: np.ndarray) -> np.ndarray:
        calls.append(1)
        out = separator.separate_pass(chunk)
        return out[::-1] * 3.0 if len(calls) % 2 == 0 else out

    chunked = separate_long(at_8k, swapping, 2 * MODEL_RATE, MODEL_RATE)
    assert len(calls) >= 3 and chunked.shape == single.shape
    match = correlations(single, chunked)
    assert np.all(np.diag(match) > 0.9), match  # the same voice on the same track
    assert np.all(np.diag(match) > np.abs(match[[0, 1], [1, 0]]) + 0.3), match
    levels = np.linalg.norm(chunked, axis=1) / np.linalg.norm(single, axis=1)
    assert np.all((levels > 0.8) & (levels < 1.25)), levels


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({SepFormerWsj02Mix.entry.repo: tiny_sepformer()}) as server:
        yield server


def _upload(x: np.ndarray, folder: Path, name: str) -> Path:
    wav = folder / f"{name}.wav"
    sf.write(str(wav), x, RATE)
    return convert(wav, folder / f"{name}.ogg")


async def test_the_agent_separates_speakers_after_a_pull(
        hub: HubStandIn, tmp_path: Path, embedder: MiniLMEmbedder,
        speech: tuple[np.ndarray, np.ndarray]) -> None:
    mixture = _upload(speech[0] + speech[1], tmp_path, "party")
    alone = _upload(speech[1][: 3 * RATE], tmp_path, "her-alone")
    with_mixture = Attachment(path=mixture, filename=mixture.name)
    seconds = len(speech[0]) / RATE
    async with empty_models(tmp_path, embedder) as runtime:
        pulled = await pull_async(hub, runtime, "speech_separation")
        assert pulled.returncode == 0, pulled.stderr
        assert SepFormerWsj02Mix.installed(ModelSettings.of(runtime.settings))

        reply = await runtime.agent.handle(Message(
            channel_id="cli:blind", text="separate the speakers in this",
            attachments=[with_mixture]))
        assert reply.error_code is None, reply.text
        assert [step.task for step in reply.steps] == ["speech_separation"]
        assert "2 voices" in reply.text
        for artifact in reply.artifacts:
            assert artifact.mime == "audio/ogg" and artifact.duration is not None
            assert abs(artifact.duration - seconds) < 0.1
        assert len(reply.artifacts) == 2

        reply = await runtime.agent.handle(Message(
            channel_id="cli:reference", text="keep only the voice from a2",
            attachments=[with_mixture, Attachment(path=alone, filename=alone.name)]))
        assert reply.error_code is None, reply.text
        (step,) = reply.steps
        assert step.args == {"audio": "a1", "reference": "a2"}
        assert "the voice that matches a2" in reply.text and len(reply.artifacts) == 2

        reply = await runtime.agent.handle(Message(
            channel_id="cli:three", text="separate the three speakers in this",
            attachments=[with_mixture]))
        assert reply.error_code == "task-unsupported", reply.text
        assert "tells 2 voices apart, not 3" in reply.text and not reply.artifacts

        jobs = rows(runtime, Job, purpose="plan", task="speech_separation")
        assert [job.backend for job in jobs] == [SepFormerWsj02Mix.name] * 3
