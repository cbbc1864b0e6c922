"""CLAP target sound detection (neural catalog): a similarity curve made by hand becomes exact
intervals, and a tiny random-weight CLAP pulled from the hub stand-in answers "when does the
siren sound?" through the agent, in the shape the embedded YAMNet detector answers it, and
guides the extraction mask for "keep only the siren".

Random weights prove the loading and inference code and the path through the agent, not
what CLAP hears.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core_agent.types import Attachment, Message
from media.audio import Audio
from media.decode import decode
from media.encode import write_wav
from models.registry import backends_for
from models.settings import ModelSettings
from models.sound.clap import ClapMask, ClapTargetDetector, prompt_for
from models.sound.events import FrameScores, similarity_events
from tests.models.conftest import pull_async
from tests.models.test_neural_catalog import backend_of
from tests.neural.sound import tiny_clap
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

RATE = 16_000  # Hz
NAN = float("nan")


def curve_scores(curve: list[float]) -> FrameScores:
    """CLAP's windows (2 s, every 0.5 s) with a given similarity and a flat level, so edges
    stay where the windows put them."""
    duration = (len(curve) - 1) * 0.5 + 2.0
    times = np.arange(len(curve)) * 0.5 + 1.0
    return FrameScores(times, np.array(curve)[:, None], np.zeros(len(curve)),
                       np.zeros(round(duration * 100)), duration, 0.5, 2.0)


def spans(scores: FrameScores, floor: float = 0.2) -> list[tuple[float, float, float]]:
    return [(e.start, e.end, round(e.score, 2)) for e in similarity_events(scores, "x", floor)]


def test_a_similarity_curve_becomes_intervals() -> None:
    curve = [NAN, 0.05, 0.06, 0.40, 0.42, 0.10, 0.41, 0.05, 0.05, 0.35, 0.05, 0.05,
             0.30, 0.32, 0.31]
    # Background 0.05, peak 0.42: on at 0.235, off at the floor. Windows 3-6 with a one-window
    # dip bridged; window 9 alone is a blip; 12-14 runs to the clip's end.
    assert spans(curve_scores(curve)) == [(2.25, 4.25, 0.42), (6.75, 9.0, 0.32)]
    assert spans(curve_scores([c - 0.3 for c in curve])) == []  # stands out, but below the floor
    # From the first window (its level shows no rise: it starts at 0), bridged over window 2.
    assert spans(curve_scores([0.5, 0.35, *curve[2:]])) == [(0.0, 4.25, 0.5), (6.75, 9.0, 0.32)]
    assert spans(curve_scores([0.31, 0.30, 0.31, 0.32])) == [(0.0, 3.5, 0.32)]  # alike throughout
    assert spans(curve_scores([0.11, 0.10, 0.11, 0.12])) == []
    assert spans(curve_scores([NAN, NAN])) == []  # silence: nothing to judge
    assert spans(curve_scores([0.4])) == [(0.0, 2.0, 0.4)]  # a clip of one window


def test_prompts_name_the_sound() -> None:
    assert prompt_for("Dog barking!") == "the sound of dog barking"
    assert prompt_for("the sound of rain") == "the sound of rain"
    assert prompt_for(" ?! ") is None


def siren_clip(path: Path) -> Path:
    """5 s: faint noise, a wailing 600–1400 Hz siren from 1.5 to 3.5 s, faint noise."""
    t = np.arange(5 * RATE) / RATE
    pitch = 1000 + 400 * np.sin(2 * np.pi * 0.5 * t)
    wail = 0.4 * np.sin(2 * np.pi * np.cumsum(pitch) / RATE) * ((t >= 1.5) & (t < 3.5))
    bed = 0.005 * np.random.default_rng(0).standard_normal(len(t))
    return write_wav(Audio((wail + bed).astype(np.float32), RATE), path)


def test_windows_are_scored_and_silence_is_not() -> None:
    detector = ClapTargetDetector(tiny_clap())
    detector.load()
    silent_then_noise = np.concatenate([np.zeros(RATE * 3), np.random.default_rng(0)
                                        .uniform(-0.5, 0.5, RATE * 3)]).astype(np.float32)
    scores = detector.similarity(Audio(silent_then_noise, RATE), "the sound of a siren")
    assert detector.sample_rate == 48_000 and scores.probs.shape == (9, 1)
    assert np.allclose(scores.times, np.arange(9) * 0.5 + 1.0)
    curve = scores.probs[:, 0]
    assert np.isnan(curve[:3]).all() and np.isfinite(curve[3:]).all()  # 0-2 s .. 1-3 s silent
    assert np.abs(curve[3:]).max() <= 1.0 + 1e-6  # cosine similarities
    assert scores.duration == 6.0 and len(scores.envelope_db) == 600
    assert detector.find(Audio(silent_then_noise, RATE), "?!") == ([], [])


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({ClapTargetDetector.entry.repo: tiny_clap()}) as server:
        yield server


async def test_clap_says_when_the_siren_sounds_after_a_pull(hub: HubStandIn, empty_runtime: Runtime,
                                                            tmp_path: Path) -> None:
    assert backends_for("target_sound_detection")[0] is ClapTargetDetector  # before YAMNet
    assert not ClapTargetDetector.installed(ModelSettings.of(empty_runtime.settings))
    done = await pull_async(hub, empty_runtime, "target_sound_detection")
    assert done.returncode == 0, done.stderr
    assert ClapTargetDetector.installed(ModelSettings.of(empty_runtime.settings))
    clip = siren_clip(tmp_path / "street.wav")
    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:clap", text="when does the siren sound in this?",
        attachments=[Attachment(path=clip, filename=clip.name)]))
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "target_sound_detection") == ClapTargetDetector.name
    (step,) = reply.steps
    assert step.data["query"] == "siren" and step.data["classes"] == ["the sound of siren"]
    events = step.data["events"]
    assert events  # the test checkpoint faces its text tower to the audio: the found path
    for event in events:  # the same events YAMNet's executor makes
        assert 0 <= event["start"] < event["end"] <= 5.0 and event["label"] == "siren"
        assert f"{event['start']:.1f}–{event['end']:.1f} s" in reply.text
    assert reply.text.startswith("Siren:")

    quiet = write_wav(Audio(np.zeros(3 * RATE, np.float32), RATE), tmp_path / "quiet.wav")
    nothing = await empty_runtime.agent.handle(Message(
        channel_id="cli:clap", text="when does the dog bark in this?",
        attachments=[Attachment(path=quiet, filename=quiet.name)]))
    assert nothing.error_code is None, nothing.text
    assert nothing.steps[0].data["events"] == []
    assert nothing.text.startswith("I didn't hear dog bark in this recording"), nothing.text


async def test_clap_guides_the_extraction_mask_after_a_pull(hub: HubStandIn, empty_runtime: Runtime,
                                                             tmp_path: Path) -> None:
    assert backends_for("sound_extraction")[0] is ClapMask  # before YAMNet's mask
    done = await pull_async(hub, empty_runtime, "sound_extraction")
    assert done.returncode == 0, done.stderr
    clip = siren_clip(tmp_path / "street.wav")
    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:clap", text="keep only the siren in this",
        attachments=[Attachment(path=clip, filename=clip.name)]))
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "sound_extraction") == ClapMask.name
    (step,) = reply.steps
    events = step.data["events"]
    assert events and step.data["classes"] == ["the sound of siren"]
    kept = decode(reply.artifacts[0].path, RATE)
    assert kept.duration == pytest.approx(5.0, abs=0.05)
    t = np.arange(len(kept.samples)) / RATE
    inside = np.zeros(len(t), bool)
    outside = np.ones(len(t), bool)
    for event in events:  # the mask is zero away from the events (fades and STFT frames aside)
        inside |= (t > event["start"] + 0.1) & (t < event["end"] - 0.1)
        outside &= (t < event["start"] - 0.1) | (t > event["end"] + 0.1)
    assert inside.any() and outside.any()
    assert np.sqrt(np.mean(kept.samples[outside] ** 2)) < 0.01 * np.sqrt(
        np.mean(kept.samples[inside] ** 2))
