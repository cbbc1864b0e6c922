"""The neural catalog beyond Whisper: AST sound events, MusicGen music, Piper and MMS-TTS voices,
each pulled from the hub stand-in with `audiogpt models pull` and then serving the agent.

The checkpoints are tiny random-weight models of the real architectures (tests/neural/):
they prove the loading and inference code and the path through the agent, not the quality.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from core_agent.tables import Job
from core_agent.types import Attachment, Kind, Message
from media.audio import Audio
from media.decode import decode
from media.probe import probe
from models.generation.musicgen import MusicGenSmall
from models.settings import ModelSettings
from models.sound.ast_audioset import AstDetector
from models.text_to_speech.mms import MmsFrench, MmsGerman
from models.text_to_speech.piper_voices import VOICES
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.catalog import catalog_checkpoints
from tests.neural.generation import tiny_musicgen
from tests.neural.sound import tiny_ast
from tests.neural.text_to_speech import random_piper_voices, tiny_vits
from tests.samples import tone
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime

CLI = [sys.executable, "-m", "bots.cli"]
GERMAN, FRENCH = (next(v for v in VOICES if v.languages == (code,)) for code in ("de", "fr"))


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn(catalog_checkpoints()) as server:
        yield server


def backend_of(empty_runtime: Runtime, task: str) -> str | None:
    (job,) = [j for j in rows(empty_runtime, Job, purpose="plan") if j.task == task]
    return job.backend


async def test_ast_finds_timed_events_after_a_pull(hub: HubStandIn, empty_runtime: Runtime,
                                                   tmp_path: Path) -> None:
    recording = tone(tmp_path / "beep.wav", 3.0)
    assert (await pull_async(hub, empty_runtime, "sound_detection")).returncode == 0
    assert AstDetector.installed(ModelSettings.of(empty_runtime.settings))
    reply = await empty_runtime.agent.handle(Message(
        channel_id="cli:ast", text="what sounds can you detect in this",
        attachments=[Attachment(path=recording, filename=recording.name)]))
    assert reply.error_code is None, reply.text
    assert backend_of(empty_runtime, "sound_detection") == AstDetector.name  # ahead of YAMNet
    (picture,) = reply.artifacts
    assert picture.kind == Kind.IMAGE and probe(picture.path).kind == "image"
    (step,) = reply.steps
    for event in step.data["events"]:  # the same events YAMNet's executor makes
        assert 0 <= event["start"] < event["end"] <= 3.0 and event["label"]


def test_ast_scores_overlapping_windows_like_yamnet_patches(hub: HubStandIn) -> None:
    detector = AstDetector(tiny_ast())
    detector.load()
    silent_then_noise = np.concatenate([np.zeros(16_000 * 2), np.random.default_rng(0)
                                        .uniform(-0.5, 0.5, 16_000 * 2)]).astype(np.float32)
    scores = detector.frame_scores(Audio(silent_then_noise, 16_000))
    assert len(detector.labels) == 527 and scores.probs.shape == (7, 527)
    assert np.allclose(scores.times, np.arange(7) * 0.5 + 0.5)
    assert not scores.probs[:3].any() and scores.probs[4:].min() > 0  # silence scores nothing
    assert scores.duration == 4.0 and len(scores.envelope_db) == 400


async def test_musicgen_composes_32_khz_music_of_the_asked_length(
        hub: HubStandIn, empty_runtime: Runtime) -> None:
    ask = Message(channel_id="cli:music", text="compose a calm piano piece, 1 second long")
    missing = await empty_runtime.agent.handle(ask)
    assert missing.error_code == "model-not-installed"
    assert "audiogpt models pull text_to_music" in missing.text
    assert (await pull_async(hub, empty_runtime, "text_to_music")).returncode == 0
    reply = await empty_runtime.agent.handle(ask)
    assert reply.error_code is None, reply.text
    assert [j.backend for j in rows(empty_runtime, Job, purpose="plan", status="done")] == [
        MusicGenSmall.name]
    (music,) = reply.artifacts
    assert (music.kind, music.mime, music.sample_rate) == (Kind.AUDIO, "audio/mpeg", 32_000)
    assert music.duration is not None and abs(music.duration - 1.0) < 0.1
    assert np.abs(decode(music.path, 32_000).samples).max() > 0.01


def test_musicgen_seed_repeats_a_piece(hub: HubStandIn) -> None:
    generator = MusicGenSmall(tiny_musicgen())
    generator.load()
    first, again = (generator.generate("lofi beat", 0.5, seed=7) for _ in range(2))
    other = generator.generate("lofi beat", 0.5, seed=8)
    assert first.sample_rate == 32_000 and len(first.samples) == 16_000
    assert np.array_equal(first.samples, again.samples)
    assert not np.array_equal(first.samples, other.samples)


async def test_voices_speak_their_language_after_a_pull(hub: HubStandIn, empty_runtime: Runtime
                                                        ) -> None:
    done = await pull_async(hub, empty_runtime, "text_to_speech", "--language", "de")
    assert done.returncode == 0, done.stderr
    models_dir = empty_runtime.settings.models_dir
    models = ModelSettings(models_dir)
    assert MmsGerman.installed(models) and not MmsFrench.installed(models)
    assert GERMAN.installed(models) and not FRENCH.installed(models)
    assert sorted(p.name for p in models_dir.glob("piper-*/**/*") if p.is_file()) == [
        "MODEL_CARD", "audiogpt-manifest.json", "de_DE-thorsten-medium.onnx",
        "de_DE-thorsten-medium.onnx.json"]  # one voice of the repository's hundreds
    german = await empty_runtime.agent.handle(Message(channel_id="cli:mms",
                                                text="say guten morgen in german"))
    french = await empty_runtime.agent.handle(Message(channel_id="cli:mms",
                                                text="say bonjour tout le monde in french"))
    assert german.error_code is None and french.error_code is None, german.text + french.text
    # Piper's voice ahead of MMS's for German; French has no neural voice pulled.
    jobs = rows(empty_runtime, Job, purpose="plan")
    assert [j.backend for j in jobs] == [GERMAN.name, "espeak-ng"]
    note = german.artifacts[0]
    assert (note.kind, note.mime, note.sample_rate) == (Kind.AUDIO, "audio/ogg", 48_000)
    assert note.duration is not None and 0.1 < note.duration < 30
    unknown = await pull_async(hub, empty_runtime, "text_to_speech", "--language", "tlh")
    assert unknown.returncode == 1 and "for the language 'tlh'" in unknown.stderr


def test_a_piper_voice_speaks_at_the_asked_speed_and_refuses_the_rest() -> None:
    voice = GERMAN(random_piper_voices())
    voice.load()
    spoken = voice.synthesize("Guten Morgen, wie geht es dir?", language="de")
    slow = voice.synthesize("Guten Morgen, wie geht es dir?", speed=0.5, language="de")
    assert spoken.sample_rate == 22_050 and spoken.duration > 0.2
    assert slow.duration == pytest.approx(2 * spoken.duration, rel=0.05)
    assert voice.synthesize("Hallo", voice="Thorsten", language="de").duration > 0
    with pytest.raises(Exception, match="has the voice 'thorsten', not 'joe'"):
        voice.synthesize("Hallo", voice="joe", language="de")
    with pytest.raises(Exception, match="handles de, not fr"):
        voice.synthesize("bonjour", language="fr")


def test_mms_refuses_what_one_voice_cannot_do() -> None:
    voice = MmsGerman(tiny_vits())
    voice.load()
    spoken = voice.synthesize("Guten Morgen. Wie geht es dir?", language="de")
    assert spoken.sample_rate == 16_000 and spoken.duration > 0.25  # two sentences, a pause
    with pytest.raises(Exception, match="handles de, not fr"):
        voice.synthesize("bonjour", language="fr")
    with pytest.raises(Exception, match="one voice"):
        voice.synthesize("hallo", voice="f3", language="de")
    with pytest.raises(Exception, match="nothing it can pronounce"):
        voice.synthesize("東京", language="de")
