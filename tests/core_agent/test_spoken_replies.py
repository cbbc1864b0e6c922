"""With spoken replies on, the voice copy says the answer (never "Here it is: a1 (audio,
1.7 s)"), speech the bot was asked for gets no second voice reading it, and follow-ups work
on the turn's result, never on the bot's voice copy of its own text."""

from __future__ import annotations

from pathlib import Path

from core_agent.tables import Job
from core_agent.types import SPOKEN_REPLY
from tests.core_agent.test_agent import ask, rows
from tests.samples import tone, voice_note
from workers.runtime import Runtime

CHANNEL = "cli:spoken"


async def speaking(runtime: Runtime) -> None:
    await runtime.memory.channel(CHANNEL, "cli")
    await runtime.memory.set_voice_replies(CHANNEL, True)


async def test_the_voice_copy_says_the_transcript(runtime: Runtime, tmp_path: Path) -> None:
    await speaking(runtime)
    note = voice_note("the train to the city leaves every morning at eight", tmp_path)
    reply = await runtime.agent.handle(ask("transcribe this", note, channel=CHANNEL))
    assert reply.voice is not None, reply.text
    (said,) = [job.args["text"] for job in rows(runtime, Job, purpose="voice")]
    assert said == reply.steps[0].text and "train to the city" in said.lower()
    assert "“" not in said and "Here it is" not in said


async def test_read_aloud_gets_no_second_voice_and_now_slower_slows_it(
        runtime: Runtime) -> None:
    await speaking(runtime)
    first = await runtime.agent.handle(ask("read this aloud: see you at the station at five",
                                           channel=CHANNEL))
    (made,) = first.artifacts
    assert first.voice is None and rows(runtime, Job, purpose="voice") == []
    slower = await runtime.agent.handle(ask("now slower", channel=CHANNEL))
    assert [(s.task, s.args.get("audio")) for s in slower.steps] == [("audio_edit", made.handle)]


async def test_a_follow_up_edits_the_result_not_the_voice_copy(runtime: Runtime,
                                                              tmp_path: Path) -> None:
    await speaking(runtime)
    clip = tone(tmp_path / "tone.wav", 2.0)
    faster = await runtime.agent.handle(ask("make this faster", clip, channel=CHANNEL))
    (result,) = faster.artifacts
    assert faster.voice is not None and faster.voice.handle != result.handle
    (said,) = [job.args["text"] for job in rows(runtime, Job, purpose="voice")]
    assert said == "Here is the audio I made."  # no handle read out
    stored = await runtime.memory.artifact(CHANNEL, faster.voice.handle)
    assert stored is not None and stored.producer == SPOKEN_REPLY
    louder = await runtime.agent.handle(ask("now make it louder", channel=CHANNEL))
    assert [s.args.get("audio") for s in louder.steps] == [result.handle], louder.text
    named = await runtime.agent.handle(ask(f"make {faster.voice.handle} louder",
                                           channel=CHANNEL))
    assert [s.args.get("audio") for s in named.steps] == [faster.voice.handle]  # if named
