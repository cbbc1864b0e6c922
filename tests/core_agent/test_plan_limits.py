"""What one message may ask for: at most `max_plan_steps` steps, from either planner, refused
before any job is recorded; and numbers every task argument takes finite and sensible."""

from __future__ import annotations

import math
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import pytest
from pydantic import ValidationError

from core_agent.config import Settings
from core_agent.errors import InputRejected
from core_agent.planning import PlanningContext
from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.tables import Job, MessageRecord
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tasks import TASKS
from tests.conftest import make_settings
from tests.core_agent.test_agent import ask, rows
from tests.samples import tone
from tests.stand_ins.openai_server import OpenAIStandIn, ToolCalls
from workers.runtime import Runtime, build_runtime

SPEED_UP = "speed up a1 then "


def assert_refused_and_stored(runtime: Runtime, code: str) -> None:
    """The turn was refused with `code`: message and reply stored, no job of any kind."""
    (message,) = rows(runtime, MessageRecord, role="user")
    (answer,) = rows(runtime, MessageRecord, role="assistant")
    assert (message.status, message.error_code, answer.reply_to) == ("failed", code, message.id)
    assert rows(runtime, Job) == []


async def test_a_300_step_llm_plan_is_refused_before_any_job(
        llm: OpenAIStandIn, llm_runtime: Runtime) -> None:
    llm.script(ToolCalls([("text_to_speech", {"text": f"line {i}"}) for i in range(300)]))
    reply = await llm_runtime.agent.handle(ask("read these 300 lines aloud"))
    assert reply.error_code == "plan-too-long"
    assert reply.text == ("That asks for 300 steps; I do up to 8 in one message. Split it into "
                          "smaller requests.")
    assert reply.steps == [] and len(llm.requests) == 1
    assert_refused_and_stored(llm_runtime, "plan-too-long")


async def test_the_offline_planner_refuses_80_chained_requests(runtime: Runtime,
                                                               tmp_path: Path) -> None:
    clip = tone(tmp_path / "clip.wav", 1.0)
    reply = await runtime.agent.handle(ask(SPEED_UP * 79 + "speed up a1", clip))
    assert reply.error_code == "plan-too-long"
    assert reply.text.startswith("That asks for 80 steps; I do up to 8 in one message.")
    (message,) = rows(runtime, MessageRecord, role="user")
    assert message.plan is None  # refused before a plan was made
    assert_refused_and_stored(runtime, "plan-too-long")


async def test_the_offline_planner_refuses_past_its_cap(
        embedder: MiniLMEmbedder) -> None:
    request = "make a1 louder then reverse it then make it binaural"
    context = PlanningContext(text=request, attachments=[])
    with pytest.raises(InputRejected) as refused:
        await OfflinePlanner(embedder, max_steps=2).plan(context)
    assert refused.value.code == "plan-too-long" and "3 steps" in refused.value.message


async def test_the_cap_is_a_setting(tmp_path: Path, embedder: MiniLMEmbedder,
                                    backends: BackendCache, monkeypatch: pytest.MonkeyPatch
                                    ) -> None:
    monkeypatch.setenv("AUDIOGPT_MAX_PLAN_STEPS", "2")
    assert Settings(_env_file=None).max_plan_steps == 2  # type: ignore[call-arg]
    settings = make_settings(tmp_path / "data", max_plan_steps=2)
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    assert isinstance(runtime.agent.planner, OfflinePlanner)
    assert runtime.agent.planner.max_steps == 2
    try:
        clip = tone(tmp_path / "clip.wav", 1.0)
        reply = await runtime.agent.handle(ask(SPEED_UP * 2 + "reverse it", clip))
        assert reply.error_code == "plan-too-long" and "3 steps; I do up to 2" in reply.text
        assert_refused_and_stored(runtime, "plan-too-long")
    finally:
        await runtime.aclose()


def numeric_fields() -> list[tuple[str, str, type]]:
    """(task, argument, int or float) for every numeric argument of every task."""
    found = []
    for spec in TASKS.values():
        for name, info in spec.args.model_fields.items():
            kinds = (get_args(info.annotation) if get_origin(info.annotation) in (
                Union, types.UnionType) else (info.annotation,))
            found += [(spec.id, name, kind) for kind in kinds if kind in (int, float)]
    return found


@pytest.mark.parametrize("value", [math.inf, -math.inf, math.nan, 1e308, -1e308, "inf",
                                   "1e308", 2**40])
def test_every_numeric_argument_refuses_non_finite_and_absurd_numbers(value: Any) -> None:
    fields = numeric_fields()
    assert {("audio_edit", "start"), ("text_to_audio", "seed"), ("mono_to_binaural",
            "azimuth"), ("text_to_speech", "speed")} <= {(t, n) for t, n, _ in fields}
    for task, name, _ in fields:
        with pytest.raises(ValidationError) as refused:
            TASKS[task].args.model_validate({name: value})
        assert any(e["loc"][0] == name for e in refused.value.errors()), (task, name)


def test_sensible_numbers_still_pass() -> None:
    args = TASKS["audio_edit"].validate({"audio": "a1", "operation": "trim", "start": 1.5,
                                         "end": 2.0})
    assert (args.start, args.end) == (1.5, 2.0)  # type: ignore[attr-defined]
    assert TASKS["text_to_audio"].validate({"prompt": "rain", "seed": 2**32 - 1})


@pytest.mark.parametrize(("start", "problem"), [
    (math.inf, "Input should be a finite number"),
    (math.nan, "Input should be a finite number"),
    (1e308, "Input should be between -1,000,000 and 1,000,000"),
])
async def test_a_trim_from_an_absurd_time_gets_a_clear_reply(
        llm: OpenAIStandIn, llm_runtime: Runtime, tmp_path: Path, start: float, problem: str
) -> None:
    call = ToolCalls([("audio_edit", {"audio": "a1", "operation": "trim", "start": start,
                                      "end": math.inf})])
    llm.script(call, call)  # the plan, and the same again when asked to correct it
    reply = await llm_runtime.agent.handle(ask("trim this", tone(tmp_path / "c.wav", 1.0)))
    assert reply.error_code == "planner-failed"
    assert f"Bad arguments for audio_edit: start: {problem}" in reply.text, reply.text
    assert "end: Input should be a finite number" in reply.text
    assert rows(llm_runtime, Job) == []
    (message,) = rows(llm_runtime, MessageRecord, role="user")
    assert (message.status, message.error_code) == ("failed", "planner-failed")
