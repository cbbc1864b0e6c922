"""A caller that plays the reply (a voice channel) gets the spoken reply sentence by
sentence, each its own recorded job; audio the turn made is what it hears instead."""

from __future__ import annotations

from pathlib import Path

from core_agent.planning.offline.planner import DECLINE
from core_agent.speaking import sentences
from core_agent.tables import Job
from core_agent.types import SPOKEN_REPLY, Artifact, StepStatus
from tests.core_agent.test_agent import ask, rows
from tests.samples import tone
from workers.runtime import Runtime

CHANNEL = "discord:1300000000000000009"


def test_text_is_cut_at_its_sentences_and_lines() -> None:
    text = "Hi! It costs 3.50 now. “Really?” she asked…  Yes.\nA line\n\nand (another.) End"
    assert sentences(text) == ["Hi!", "It costs 3.50 now.", "“Really?”", "she asked…", "Yes.",
                               "A line", "and (another.)", "End"]
    assert sentences("  one sentence without a stop ") == ["one sentence without a stop"]
    assert sentences(" \n ") == []


async def test_the_spoken_reply_comes_in_parts_each_its_own_job(runtime: Runtime) -> None:
    await runtime.memory.channel(CHANNEL, "discord")
    await runtime.memory.set_voice_replies(CHANNEL, True)
    parts: list[Artifact] = []

    async def on_voice(part: Artifact) -> None:
        parts.append(part)

    reply = await runtime.agent.handle(ask("what will the weather be like tomorrow",
                                           channel=CHANNEL), on_voice=on_voice)
    assert reply.text == DECLINE and reply.voice is None and not reply.voice_only
    expected = sentences(DECLINE)
    assert len(expected) == 3
    jobs = sorted(rows(runtime, Job, purpose="voice"), key=lambda j: j.created_at)
    assert [j.args["text"] for j in jobs] == expected
    assert all(j.status == StepStatus.DONE and j.task == "text_to_speech" for j in jobs)
    assert [p.handle for p in parts] == [(j.outputs or {})["artifacts"][0] for j in jobs]
    assert all(p.producer == SPOKEN_REPLY and p.path.is_file() and p.duration for p in parts)


async def test_audio_the_turn_made_is_heard_instead_of_a_voice(runtime: Runtime,
                                                              tmp_path: Path) -> None:
    await runtime.memory.channel(CHANNEL, "discord")
    await runtime.memory.set_voice_replies(CHANNEL, True)
    parts: list[Artifact] = []

    async def on_voice(part: Artifact) -> None:
        parts.append(part)

    reply = await runtime.agent.handle(ask("make this faster", tone(tmp_path / "t.wav", 2.0),
                                           channel=CHANNEL), on_voice=on_voice)
    assert reply.error_code is None and len(reply.artifacts) == 1, reply.text
    assert parts == [] and reply.voice is None and rows(runtime, Job, purpose="voice") == []
