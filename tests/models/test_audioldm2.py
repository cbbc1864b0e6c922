"""AudioLDM 2 for text_to_audio, image_to_audio (with BLIP captions) and audio_inpainting,
each pulled from the hub stand-in with `audiogpt models pull` and then serving the agent.

The checkpoints are tiny random-weight models of the real architectures (tests/neural/):
they prove the loading, diffusion and splicing code and the path through the agent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import matplotlib.cbook
import numpy as np
import pytest

from bots.catalog import task_rows
from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Attachment, Kind, Message
from media.audio import Audio
from media.decode import decode
from models.generation.audioldm2 import AudioLdm2
from models.generation.blip_caption import BlipCaptioner
from models.inpainting.audioldm2 import METHOD, AudioLdm2Inpaint
from models.settings import ModelSettings
from tasks.base import GenerateArgs
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.generation import tiny_audioldm2, tiny_blip
from tests.samples import tone
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime
from workers.steps import executor_for

pytestmark = pytest.mark.usefixtures("one_torch_thread")
FEW_STEPS = 3  # backend-level runs: every part of the loop, a fraction of the time
PICTURE = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
RATE = 48_000  # Hz, what the inpainting executor decodes recordings at


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({AudioLdm2.entry.repo: tiny_audioldm2(),
                     BlipCaptioner.entry.repo: tiny_blip()}) as server:
        yield server


@pytest.fixture(scope="module")
def generator() -> AudioLdm2:
    loaded = AudioLdm2(tiny_audioldm2(), steps=FEW_STEPS)
    loaded.load()
    return loaded


@pytest.fixture(scope="module")
def inpainter() -> AudioLdm2Inpaint:
    loaded = AudioLdm2Inpaint(tiny_audioldm2(), steps=FEW_STEPS)
    loaded.load()
    return loaded


def backend_of(empty_runtime: Runtime, task: str) -> str | None:
    """The backend that ran the task's one finished job."""
    (job,) = [j for j in rows(empty_runtime, Job, purpose="plan", status="done") if j.task == task]
    return job.backend


def with_gap(seconds: float, start: float, end: float) -> Audio:
    """A tone with [start, end) dropped out to silence, at the executor's rate."""
    t = np.arange(round(seconds * RATE)) / RATE
    x = (0.3 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t)))
    x[round(start * RATE):round(end * RATE)] = 0.0
    return Audio(x.astype(np.float32), RATE)


def test_a_seed_repeats_a_sound_and_another_seed_differs(generator: AudioLdm2) -> None:
    first, again = (generator.generate("rain on a tin roof", 1.0, seed=7) for _ in range(2))
    other = generator.generate("rain on a tin roof", 1.0, seed=8)
    assert first.sample_rate == 16_000 and len(first.samples) == 16_000
    assert np.array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)
    assert 0.01 < np.abs(first.samples).max() <= 0.99


def test_one_loaded_pipeline_serves_both_tasks(generator: AudioLdm2,
                                                inpainter: AudioLdm2Inpaint) -> None:
    assert generator.folder == inpainter.folder and generator.shared is inpainter.shared


def test_a_longer_request_is_capped_and_said_so(generator: AudioLdm2, tmp_path: Path) -> None:
    made = executor_for("text_to_audio")(
        generator, GenerateArgs(prompt="a distant siren", duration=12), {}, tmp_path)
    (sound,) = made.files
    assert sound.kind == Kind.AUDIO and sound.path.suffix == ".mp3"
    assert made.text is not None and "up to 10 s" in made.text
    assert abs(decode(sound.path, 16_000).duration - 10.0) < 0.1


def test_inpainting_changes_only_the_gap(inpainter: AudioLdm2Inpaint) -> None:
    damaged = with_gap(2.5, 1.0, 1.4)
    filled, method = inpainter.fill(damaged, 1.0, 1.4)
    assert method == METHOD and filled.sample_rate == RATE
    assert len(filled.samples) == len(damaged.samples)
    i, j, fade = round(1.0 * RATE), round(1.4 * RATE), round(0.02 * RATE)
    assert np.array_equal(filled.samples[:i - fade], damaged.samples[:i - fade])
    assert np.array_equal(filled.samples[j + fade:], damaged.samples[j + fade:])
    assert np.abs(filled.samples[i:j]).max() > 0.01  # the silence is gone
    assert np.abs(filled.samples[i:j]).max() <= 1.0
    again, _ = inpainter.fill(damaged, 1.0, 1.4)
    assert np.array_equal(filled.samples, again.samples)  # the same gap, the same fill


def test_a_gap_at_the_very_start_is_made_up_from_one_side(inpainter: AudioLdm2Inpaint) -> None:
    damaged = with_gap(1.5, 0.0, 0.3)
    filled, _ = inpainter.fill(damaged, 0.0, 0.3)
    j, fade = round(0.3 * RATE), round(0.02 * RATE)
    assert np.array_equal(filled.samples[j + fade:], damaged.samples[j + fade:])
    assert np.abs(filled.samples[:j]).max() > 0.01


def test_short_gaps_are_extrapolated_and_bad_ones_refused(inpainter: AudioLdm2Inpaint) -> None:
    damaged = with_gap(1.0, 0.5, 0.55)
    filled, method = inpainter.fill(damaged, 0.5, 0.55)
    assert method == "autoregressive extrapolation from both sides"
    assert np.array_equal(filled.samples[:round(0.5 * RATE)],
                          damaged.samples[:round(0.5 * RATE)])
    with pytest.raises(Unsupported, match="not inside"):
        inpainter.fill(damaged, 0.8, 1.2)
    with pytest.raises(Unsupported, match="up to 8 s"):
        inpainter.fill(with_gap(12.0, 1.0, 10.0), 1.0, 10.0)


async def test_sounds_and_gaps_after_a_pull(hub: HubStandIn, empty_runtime: Runtime,
                                            tmp_path: Path) -> None:
    ask = Message(channel_id="cli:sfx", text="make the sound of rain on a tin roof, 3 seconds")
    missing = await empty_runtime.agent.handle(ask)
    assert missing.error_code == "model-not-installed"
    assert "audiogpt models pull text_to_audio" in missing.text
    pulled = await pull_async(hub, empty_runtime, "text_to_audio")
    assert pulled.returncode == 0, pulled.stderr
    reply = await empty_runtime.agent.handle(ask)
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "text_to_audio") == AudioLdm2.name
    (sound,) = reply.artifacts
    assert (sound.kind, sound.mime, sound.sample_rate) == (Kind.AUDIO, "audio/mpeg", 16_000)
    assert sound.duration is not None and abs(sound.duration - 3.0) < 0.1
    assert np.abs(decode(sound.path, 16_000).samples).max() > 0.01

    recording = tone(tmp_path / "take.wav", 2.0, rate=RATE)
    fixed = await empty_runtime.agent.handle(Message(
        channel_id="cli:sfx", text="fill the gap from 0.8 to 1.2 seconds",
        attachments=[Attachment(path=recording, filename=recording.name)]))
    assert fixed.error_code is None, fixed.text
    assert backend_of(empty_runtime, "audio_inpainting") == AudioLdm2Inpaint.name  # ahead of LPC
    assert "AudioLDM 2" in fixed.text
    (note,) = fixed.artifacts
    assert note.kind == Kind.AUDIO and note.duration is not None
    assert abs(note.duration - 2.0) < 0.05

    rows = task_rows(ModelSettings.of(empty_runtime.settings))
    listed = {row["task"]: row["backends"] for row in rows}
    assert [(b["name"], b["installed"]) for b in listed["text_to_audio"]] == [
        (AudioLdm2.name, True)]
    assert [b["name"] for b in listed["audio_inpainting"]] == [AudioLdm2Inpaint.name,
                                                                "lpc-inpaint"]
    assert [(b["name"], b["installed"]) for b in listed["image_to_audio"]] == [
        (BlipCaptioner.name, False)]


async def test_a_picture_is_heard_through_its_caption(hub: HubStandIn, empty_runtime: Runtime
                                                      ) -> None:
    ask = Message(channel_id="cli:picture", text="make a sound for this picture, 2 seconds",
                  attachments=[Attachment(path=PICTURE, filename="hopper.jpg")])
    nothing = await empty_runtime.agent.handle(ask)
    assert nothing.error_code == "model-not-installed"
    assert "audiogpt models pull image_to_audio" in nothing.text
    assert (await pull_async(hub, empty_runtime, "image_to_audio")).returncode == 0
    half = await empty_runtime.agent.handle(ask)  # the captioner, but nothing to sound it out
    assert half.error_code == "model-not-installed"
    assert "text_to_audio model, which turns the picture's caption into sound, is not " \
        "installed. Install it with: audiogpt models pull text_to_audio" in half.text
    assert (await pull_async(hub, empty_runtime, "text_to_audio")).returncode == 0
    reply = await empty_runtime.agent.handle(ask)
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "image_to_audio") == BlipCaptioner.name
    step = reply.steps[-1]
    caption = step.data["caption"]
    assert caption and f"I heard this picture as: “{caption}”" in reply.text
    (sound,) = reply.artifacts
    assert (sound.kind, sound.sample_rate) == (Kind.AUDIO, 16_000)
    assert sound.duration is not None and abs(sound.duration - 2.0) < 0.1
