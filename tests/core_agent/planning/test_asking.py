"""Asking when unsure: a request as likely to mean one task as another gets a question naming
both readings, and the next message (kept in the channel's memory) picks one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.types import PlanStep
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from tests.core_agent.planning.test_offline import plan_for
from tests.core_agent.test_agent import ask
from tests.samples import voice_note
from workers.runtime import build_runtime

EVEN = "what's on this voice message"  # a caption or a transcript, as likely
DESCRIBE = PlanStep(task="audio_to_text", args={"audio": "a2"})
TRANSCRIBE = PlanStep(task="speech_recognition", args={"audio": "a2", "language": "fr"})
TWO_CLIPS = [{"kind": "audio", "producer": "upload"}] * 2


def asked(choices: list[list[PlanStep]]) -> list[dict[str, Any]]:
    """The history of a channel whose last request got a question."""
    return [{"role": "user", "text": "what have we got in the french one",
             "choices": [[s.model_dump() for s in c] for c in choices]},
            {"role": "assistant", "text": "Do you want me to describe the sounds in it, or "
                                          "transcribe it?"}]


@pytest.fixture(scope="module")
def planner(embedder: MiniLMEmbedder) -> OfflinePlanner:
    return OfflinePlanner(embedder)


async def test_an_even_request_gets_a_question_naming_both(planner: OfflinePlanner) -> None:
    plan = await plan_for(planner, EVEN, attachments=["audio"])
    assert not plan.steps
    assert plan.reply and "describe the sounds in it" in plan.reply and "transcribe it" in (
        plan.reply)
    assert sorted(c[0].task for c in plan.choices) == ["audio_to_text", "speech_recognition"]
    assert all(c == [PlanStep(task=c[0].task, args={"audio": "a1"})] for c in plan.choices)


@pytest.mark.parametrize(("answer", "picked"), [
    ("the first", DESCRIBE), ("yes the first one", DESCRIBE), ("describe the sounds", DESCRIBE),
    ("transcribe", TRANSCRIBE), ("the second please", TRANSCRIBE),
    ("no, not the first", TRANSCRIBE), ("write out the words", TRANSCRIBE),
])
async def test_the_answer_picks_a_reading_with_its_arguments(
        planner: OfflinePlanner, answer: str, picked: PlanStep) -> None:
    plan = await plan_for(planner, answer, artifacts=TWO_CLIPS,
                          history=asked([[DESCRIBE], [TRANSCRIBE]]))
    assert plan.steps == [picked]


async def test_a_new_request_after_a_question_is_planned_afresh(planner: OfflinePlanner) -> None:
    plan = await plan_for(planner, "forget it, just make the first clip twice as loud",
                          artifacts=TWO_CLIPS, history=asked([[DESCRIBE], [TRANSCRIBE]]))
    assert [(s.task, s.args.get("audio")) for s in plan.steps] == [("audio_edit", "a1")]


async def test_a_new_file_after_a_question_is_worked_on(planner: OfflinePlanner) -> None:
    plan = await plan_for(planner, "transcribe this one", artifacts=TWO_CLIPS,
                          attachments=["audio"], history=asked([[DESCRIBE], [TRANSCRIBE]]))
    assert [(s.task, s.args["audio"]) for s in plan.steps] == [("speech_recognition", "a3")]


async def test_an_ordinal_after_an_answered_question_counts_files(
        planner: OfflinePlanner) -> None:
    """Only the bot's last reply is open: once answered, "the second one" means a file."""
    history = [*asked([[DESCRIBE], [TRANSCRIBE]]),
               {"role": "user", "text": "the first", "steps": [DESCRIBE.model_dump()]},
               {"role": "assistant", "text": "Birds and a car."}]
    plan = await plan_for(planner, "now transcribe the first one", artifacts=TWO_CLIPS,
                          history=history)
    assert [(s.task, s.args["audio"]) for s in plan.steps] == [("speech_recognition", "a1")]


async def test_a_question_survives_a_restart(tmp_path: Path, embedder: MiniLMEmbedder,
                                             backends: BackendCache) -> None:
    settings = make_settings(tmp_path / "data")
    note = voice_note("the meeting moved to thursday", tmp_path, "note")
    first = build_runtime(settings, embedder=embedder, backends=backends)
    question = await first.agent.handle(ask(EVEN, note), dry_run=True)
    await first.aclose()
    assert question.plan is not None and question.plan.choices and not question.steps
    second = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        answer = await second.agent.handle(ask("transcribe it"), dry_run=True)
    finally:
        await second.aclose()
    assert answer.plan is not None
    assert answer.plan.steps == [PlanStep(task="speech_recognition", args={"audio": "a1"})]
