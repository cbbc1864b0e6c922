"""Kokoro-82M (neural catalog): a random-weight model of its architecture, in the release's
layout, pulled from the hub stand-in by `audiogpt models pull` and speaking through the agent,
with the voice a user names picking the backend that has it.

Random weights prove the loading, phonemisation, voice packs and the path through the
agent, not how Kokoro sounds.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core_agent.tables import Job
from core_agent.types import Kind, Message
from models.settings import ModelSettings
from models.text_to_speech.kokoro import REPO, Kokoro
from models.text_to_speech.piper import PiperJoe
from tests.core_agent.test_agent import rows
from tests.models.conftest import pull_async
from tests.neural.text_to_speech import random_kokoro
from tests.stand_ins.hub_server import HubStandIn
from workers.queues import Resource, resource_for
from workers.runtime import Runtime


@pytest.fixture(scope="module")
def kokoro() -> Kokoro:
    backend = Kokoro(random_kokoro())
    backend.load()
    return backend


def test_voices_languages_and_speed(kokoro: Kokoro) -> None:
    spanish = kokoro.synthesize("Hola, ¿cómo estás? Buenos días.", language="es")
    slow = kokoro.synthesize("Hola, ¿cómo estás? Buenos días.", speed=0.5, language="es")
    assert spanish.sample_rate == 24_000 and spanish.duration > 0.3
    # Each phoneme's frames are divided by the speed, then rounded (at least one frame).
    assert 1.6 * spanish.duration < slow.duration < 2.1 * spanish.duration
    emma = kokoro.synthesize("Good morning, how are you?", voice="emma", language="en")
    heart = kokoro.synthesize("Good morning, how are you?", language="en")
    assert emma.duration > 0.3 and heart.duration > 0.3
    assert emma.samples.shape != heart.samples.shape or (emma.samples != heart.samples).any()
    assert Kokoro.voice_id("af_bella", "en") == "af_bella"
    assert Kokoro.voice_id("Dora", "pt") == "pf_dora"
    assert Kokoro.voice_id("dora", "es") == "ef_dora"
    with pytest.raises(Exception, match="no voice 'joe' in en; its voices there: alloy"):
        kokoro.synthesize("hello", voice="joe", language="en")
    with pytest.raises(Exception, match="handles en, es, fr, hi, it, pt, not de"):
        kokoro.synthesize("hallo", language="de")
    with pytest.raises(Exception, match="nothing it can pronounce"):
        kokoro.synthesize("   ", language="en")


@pytest.fixture(scope="module")
def hub() -> Iterator[HubStandIn]:
    with HubStandIn({REPO: random_kokoro()}) as server:
        yield server


async def test_kokoro_speaks_after_a_pull_and_a_named_voice_picks_its_model(
        hub: HubStandIn, empty_runtime: Runtime) -> None:
    done = await pull_async(hub, empty_runtime, "text_to_speech", "--language", "en")
    assert done.returncode == 0, done.stderr
    assert Kokoro.installed(ModelSettings.of(empty_runtime.settings))
    # The queue a job waits on is that of the model that will run it.
    settings = empty_runtime.settings
    assert resource_for("text_to_speech", settings, "en") == Resource.GPU  # Kokoro, neural
    assert resource_for("text_to_speech", settings, "en", "joe") == Resource.CPU  # Piper joe
    texts = ["say good morning everyone", "say good morning everyone using the emma voice",
             "say good morning everyone in joe's voice"]
    replies = [await empty_runtime.agent.handle(Message(channel_id="cli:kokoro", text=text))
               for text in texts]
    for reply in replies:
        assert reply.error_code is None, reply.text
        (note,) = reply.artifacts
        assert (note.kind, note.mime) == (Kind.AUDIO, "audio/ogg")
        assert note.duration is not None and note.duration > 0.3
    jobs = rows(empty_runtime, Job, purpose="plan")
    assert [j.backend for j in jobs] == [Kokoro.name, Kokoro.name, PiperJoe.name]
    assert [j.args.get("voice") for j in jobs] == [None, "emma", "joe"]
