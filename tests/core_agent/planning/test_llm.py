"""The LLM planner, with the real openai client against a local chat-completions stand-in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from core_agent.errors import PlannerError
from core_agent.planning import PlanningContext
from core_agent.planning.llm import GENERIC_REPLY, LLMPlanner
from core_agent.types import Artifact, Kind, PlanStep, Turn
from tasks import TASKS
from tests.conftest import make_settings
from tests.stand_ins.openai_server import OpenAIStandIn, Slow, Status, Text, ToolCalls

KEY = "sk-test-DO-NOT-SHOW-7f3a9c21"
MakePlanner = Callable[..., LLMPlanner]


def artifact(handle: str, label: str = "") -> Artifact:
    """A stored voice note, as memory would hand it to the planner."""
    return Artifact(id=f"id-{handle}", handle=handle, kind=Kind.AUDIO, mime="audio/ogg",
                    path=Path(f"/srv/media/{handle}.ogg"), producer="upload", label=label,
                    duration=3.0)


CONTEXT = PlanningContext(
    text="clean up my new voice note and make it faster",
    attachments=[artifact("a2")],
    artifacts=[artifact("a1", label="birdsong")],
    history=[
        Turn(role="user", text="what does this say?", artifacts=["a1"]),
        Turn(role="assistant", text="It says: hello there.",
             steps=[PlanStep(task="speech_recognition", args={"audio": "a1"})]),
    ],
)
ENHANCE_THEN_SPEED = ToolCalls([
    ("speech_enhancement", {"audio": "a2"}),
    ("audio_edit", {"audio": "step1", "operation": "speed", "factor": 1.25}),
])


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    """A scripted chat-completions server for this test."""
    async with OpenAIStandIn() as server:
        yield server
        assert server.overruns == 0, "the planner sent more requests than were scripted"
        assert server.pending == 0, "the planner sent fewer requests than were scripted"


@pytest.fixture
async def make_planner(llm: OpenAIStandIn, tmp_path: Path) -> AsyncIterator[MakePlanner]:
    """LLM planners pointed at the stand-in (no retries unless asked), closed afterwards."""
    planners: list[LLMPlanner] = []

    def make(**overrides: Any) -> LLMPlanner:
        options = {"openai_base_url": llm.url, "openai_api_key": KEY, "llm_model": "plan-test",
                   "llm_max_tokens": 321, "llm_timeout": 5.0, "llm_max_retries": 0} | overrides
        planners.append(LLMPlanner(make_settings(tmp_path / "data", **options)))
        return planners[-1]

    yield make
    for planner in planners:
        await planner.aclose()


async def test_tool_calls_become_ordered_steps(llm: OpenAIStandIn, make_planner: MakePlanner
                                               ) -> None:
    llm.script(ENHANCE_THEN_SPEED)
    plan = await make_planner().plan(CONTEXT)
    assert plan.planner == "llm" and plan.reply is None
    assert plan.steps == [
        PlanStep(task="speech_enhancement", args={"audio": "a2"}),
        PlanStep(task="audio_edit", args={"audio": "step1", "operation": "speed", "factor": 1.25}),
    ]


async def test_request_carries_settings_tools_files_and_history(
        llm: OpenAIStandIn, make_planner: MakePlanner) -> None:
    llm.script(Text("ok"))
    await make_planner().plan(CONTEXT)
    [body] = llm.requests
    assert body["model"] == "plan-test"
    assert body["temperature"] == 0
    assert body["max_completion_tokens"] == 321
    assert body["tool_choice"] == "auto"
    assert [tool["function"]["name"] for tool in body["tools"]] == list(TASKS)
    assert llm.headers[0]["authorization"] == f"Bearer {KEY}"
    system, asked, answered, request = body["messages"]
    assert system["role"] == "system" and '"step' in system["content"]
    assert asked == {"role": "user", "content": "what does this say?\n[sent a1]"}
    assert answered["role"] == "assistant"
    assert "hello there" in answered["content"] and "speech_recognition" in answered["content"]
    assert request["role"] == "user"
    assert '- a1: audio, 3.0 s, from upload, "birdsong"' in request["content"]
    assert "- a2: audio, 3.0 s, from upload (attached to this message)" in request["content"]
    assert request["content"].endswith(CONTEXT.text)


async def test_text_answer_becomes_reply(llm: OpenAIStandIn, make_planner: MakePlanner) -> None:
    llm.script(Text("Paris is the capital of France."), Text(""))
    planner = make_planner()
    plan = await planner.plan(PlanningContext(text="capital of France?"))
    assert plan.reply == "Paris is the capital of France." and plan.steps == []
    empty = await planner.plan(PlanningContext(text="hmm"))
    assert empty.reply == GENERIC_REPLY and empty.steps == []


@pytest.mark.parametrize(("call", "problem"), [
    (("speech_enhancement", '{"audio": "a2"'), "not valid JSON"),
    (("speech_enhancement", '["a2"]'), "JSON object"),
    (("text_to_speech", {"text": ""}), "text"),
    (("speech_enhancement", {"audio": "a2", "volume": 11}), "volume"),
])
async def test_malformed_arguments_get_one_correction(
        llm: OpenAIStandIn, make_planner: MakePlanner, call: tuple[str, Any], problem: str
        ) -> None:
    llm.script(ToolCalls([call]), ToolCalls([("speech_enhancement", {"audio": "a2"})]))
    plan = await make_planner().plan(CONTEXT)
    assert plan.steps == [PlanStep(task="speech_enhancement", args={"audio": "a2"})]
    first, retry = llm.requests
    assert retry["messages"][:len(first["messages"])] == first["messages"]
    tool_calls, result, ask = retry["messages"][len(first["messages"]):]
    assert tool_calls["role"] == "assistant" and tool_calls["tool_calls"][0]["function"]["name"]
    assert result["role"] == "tool" and result["tool_call_id"] == tool_calls["tool_calls"][0]["id"]
    assert problem in result["content"]
    assert ask["role"] == "user"


async def test_malformed_twice_is_a_planner_error(llm: OpenAIStandIn, make_planner: MakePlanner
                                                  ) -> None:
    bad = ToolCalls([("speech_enhancement", "{audio: a2}")])
    llm.script(bad, bad)
    with pytest.raises(PlannerError) as caught:
        await make_planner().plan(CONTEXT)
    assert caught.value.message.startswith("The language model returned a plan I couldn't use")
    assert len(llm.requests) == 2


@pytest.mark.parametrize("calls", [
    [("run_shell", {"command": "cat /etc/passwd"})],
    [("speech_enhancement", {"audio": "a99"})],
    [("speech_enhancement", {"audio": "/etc/passwd"})],
    [("talking_head", {"audio": "a1", "image": "http://evil.example/face.png"})],
    [("speech_enhancement", {"audio": "step2"}), ("audio_edit", {"audio": "a1",
                                                                 "operation": "reverse"})],
    [("speech_enhancement", {"audio": "step1"})],
    [("speech_recognition", {"audio": "a1"}), ("text_to_speech", {"text": "step2"})],
], ids=["unknown-tool", "unknown-handle", "path", "url", "later-step", "own-step", "text-self"])
async def test_refused_without_a_second_chance(llm: OpenAIStandIn, make_planner: MakePlanner,
                                               calls: list[tuple[str, Any]]) -> None:
    llm.script(ToolCalls(calls))
    with pytest.raises(PlannerError) as caught:
        await make_planner().plan(CONTEXT)
    assert caught.value.message.startswith("The language model returned a plan I couldn't use")
    assert len(llm.requests) == 1


async def test_rate_limit_is_retried_after_the_servers_delay(
        llm: OpenAIStandIn, make_planner: MakePlanner, caplog: pytest.LogCaptureFixture
        ) -> None:
    llm.script(Status(429, retry_after=0.01), ENHANCE_THEN_SPEED)
    with caplog.at_level(logging.INFO, logger="openai"):
        plan = await make_planner(llm_max_retries=2).plan(CONTEXT)
    assert len(plan.steps) == 2 and len(llm.requests) == 2
    assert [h["x-stainless-retry-count"] for h in llm.headers] == ["0", "1"]
    # The client waits the server's Retry-After, not its own backoff (0.375 s and up).
    waits = [r.getMessage() for r in caplog.records if r.name.startswith("openai")
             and r.getMessage().startswith("Retrying request in")]
    assert waits == ["Retrying request in 0.010000 seconds (retry 1 of 2)"]


async def test_rate_limit_outlasting_retries(llm: OpenAIStandIn, make_planner: MakePlanner
                                             ) -> None:
    llm.script(Status(429, retry_after=0.01), Status(429, retry_after=0.01))
    with pytest.raises(PlannerError) as caught:
        await make_planner(llm_max_retries=1).plan(CONTEXT)
    assert caught.value.code == "llm-rate-limited"
    assert len(llm.requests) == 2


async def test_server_errors_outlasting_retries(llm: OpenAIStandIn, make_planner: MakePlanner
                                                ) -> None:
    llm.script(*[Status(500, retry_after=0.01)] * 3)
    with pytest.raises(PlannerError) as caught:
        await make_planner(llm_max_retries=2).plan(CONTEXT)
    assert caught.value.code == "llm-unavailable" and "500" in caught.value.message
    assert len(llm.requests) == 3


async def test_slow_model_times_out(llm: OpenAIStandIn, make_planner: MakePlanner) -> None:
    llm.script(Slow(30))  # had the client waited it out, the plan would be its text reply
    with pytest.raises(PlannerError) as caught:
        await make_planner(llm_timeout=0.5).plan(CONTEXT)
    assert caught.value.code == "llm-timeout"
    assert llm.headers[0]["x-stainless-read-timeout"] == "0.5"


async def test_unreachable_model(llm: OpenAIStandIn, make_planner: MakePlanner) -> None:
    planner = make_planner()
    await llm.stop()
    with pytest.raises(PlannerError) as caught:
        await planner.plan(CONTEXT)
    assert caught.value.code == "llm-unavailable"


async def test_cancellation_passes_through(llm: OpenAIStandIn, make_planner: MakePlanner
                                           ) -> None:
    llm.script(Slow(30))
    task = asyncio.create_task(make_planner().plan(CONTEXT))
    await llm.wait_for_requests(1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_api_key_never_shown(llm: OpenAIStandIn, make_planner: MakePlanner,
                                   caplog: pytest.LogCaptureFixture) -> None:
    llm.script(Status(401, message=f"Incorrect API key provided: {KEY}."))
    with caplog.at_level(logging.DEBUG, logger="core_agent.planning.llm"), \
            pytest.raises(PlannerError) as caught:
        await make_planner().plan(CONTEXT)
    assert llm.headers[0]["authorization"] == f"Bearer {KEY}"
    assert KEY not in caught.value.message and KEY not in str(caught.value)
    assert caplog.records and not any(KEY in r.getMessage() for r in caplog.records)


async def test_base_url_alone_needs_no_key(llm: OpenAIStandIn, make_planner: MakePlanner) -> None:
    llm.script(Text("hi"))
    await make_planner(openai_api_key=None).plan(PlanningContext(text="hello"))
    assert llm.headers[0]["authorization"] == "Bearer not-needed"


def test_refuses_to_start_unconfigured(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, planner="llm")
    with pytest.raises(PlannerError) as caught:
        LLMPlanner(settings)
    assert caught.value.code == "llm-not-configured"
