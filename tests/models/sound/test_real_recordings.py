"""Sound detection on real recordings (OpenSFX field recordings, each titled with what it
is): the specific class is named, not its ancestors ("Sheep: bleat", not "Animal" or
"Livestock, farm animals, working animals"), with times inside the clip."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest

from core_agent.types import Attachment, Message
from media.encode import write_wav
from models.cache import BackendCache
from models.sound.base import SoundDetector
from models.sound.ontology import ancestors
from tests.conftest import report
from tests.real_sounds import opensfx
from workers.runtime import Runtime

# OpenSFX title -> the name a listener would give it.
NAMED = {"Cow": "Cattle: moo", "Horse": "Horse: neigh", "Sheep": "Sheep: bleat",
         "Tropical: Bird (2)": "Bird: chirp", "Tropical: Lion roar": "Roaring cats: roar",
         "Helicopter": "Helicopter", "Jackhammer": "Jackhammer", "Cash till": "Cash register",
         "Steam train station departure": "Steam whistle"}


@pytest.mark.parametrize("title", sorted(NAMED))
def test_real_sounds_are_named_specifically(backends: BackendCache, title: str) -> None:
    audio = opensfx()[title]
    _, events = cast(SoundDetector, backends.get("yamnet-events")).events(audio)
    labels = [e.label for e in events]
    report(f"sound detection on the OpenSFX recording {title!r}: {', '.join(labels) or 'none'}")
    top = max(events, key=lambda e: e.score)
    assert top.label == NAMED[title], labels
    assert 0 <= top.start < top.end <= audio.duration + 0.01
    named = NAMED[title].split(": ")[0]  # the animal, or the class itself
    above = {a for label in labels for a in ancestors(label)} | ancestors(named)
    assert not above & set(labels), labels  # no class listed with a finer one of its own


async def test_what_is_that_sound_names_the_animal_in_the_caption(runtime: Runtime,
                                                                  tmp_path: Path) -> None:
    clip = write_wav(opensfx()["Sheep"], tmp_path / "field.wav")
    reply = await runtime.agent.handle(Message(
        channel_id="cli:sheep", text="what is that sound?",
        attachments=[Attachment(path=clip, filename=clip.name)]))
    assert reply.error_code is None, reply.text
    assert "sheep bleat at" in reply.text, reply.text  # a caption: "sheep bleat at 0.7–1.2 s"
    assert not {"animal", "livestock"} & set(reply.text.lower().split()), reply.text
