"""Speech in other languages: Piper speaks English, espeak-ng every other language it knows."""

from __future__ import annotations

import pytest

from core_agent.errors import Unsupported
from core_agent.tables import Job
from core_agent.types import Message, Plan, PlanStep
from media.decode import decode
from models.text_to_speech.espeak import EspeakNG
from tests.core_agent.test_agent import FixedPlanner, rows
from workers.runtime import Runtime


def test_espeak_speaks_other_languages_with_their_own_phonemes() -> None:
    tts = EspeakNG()
    german = tts.synthesize("guten Morgen, wie geht es dir", language="de")
    english = tts.synthesize("guten Morgen, wie geht es dir", language="en")
    assert german.sample_rate == 22_050 and german.duration > 0.8
    assert abs(german.duration - english.duration) > 0.05  # a different language's rules
    faster = tts.synthesize("guten Morgen, wie geht es dir", language="de", speed=2.0)
    assert faster.duration < german.duration * 0.7


@pytest.mark.parametrize(("voice", "language", "words"), [
    ("nobody", "de", "no espeak-ng voice called"),
    (None, "tlh", "no voice for the language"),
])
def test_espeak_refuses_what_it_lacks(voice: str | None, language: str, words: str) -> None:
    with pytest.raises(Unsupported, match=words):
        EspeakNG().synthesize("hello", voice=voice, language=language)


@pytest.mark.parametrize(("request_text", "language", "backend"), [
    ("say guten morgen in german", "de", "espeak-ng"),
    ("read this aloud in french: bonjour tout le monde", "fr", "espeak-ng"),
    ("say good morning", "en", "piper-joe"),
])
async def test_the_language_picks_the_voice(runtime: Runtime, request_text: str,
                                            language: str, backend: str) -> None:
    reply = await runtime.agent.handle(Message(channel_id="cli:lang", text=request_text))
    assert reply.error_code is None, reply.text
    (step,) = reply.steps
    assert (step.task, step.args.get("language", "en")) == ("text_to_speech", language)
    (job,) = rows(runtime, Job, purpose="plan")
    assert job.backend == backend
    (note,) = reply.artifacts
    assert note.mime == "audio/ogg" and decode(note.path).duration > 0.5


async def test_a_language_nobody_speaks_gets_a_clear_reply(runtime: Runtime) -> None:
    runtime.agent.planner = FixedPlanner(Plan(steps=[PlanStep(
        task="text_to_speech", args={"text": "qapla", "language": "tlh"})]))
    reply = await runtime.agent.handle(Message(channel_id="cli:lang", text="say qapla"))
    # No model of ours speaks Klingon, installed or not: not an install hint.
    assert reply.error_code == "task-unsupported", reply.text
    assert "no model here handles the language 'tlh'" in reply.text
    assert "pull" not in reply.text and "ask for one of these" not in reply.text  # espeak-ng
    (job,) = rows(runtime, Job, purpose="plan")
    assert (job.status, job.error_code) == ("failed", "task-unsupported")
