"""The agent on the LLM planner: the real openai client against the local stand-in, real
models and a real database. Plans run; a failing or hanging server gets a clear reply."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core_agent.tables import Job, MessageRecord
from core_agent.types import StepStatus
from tests.core_agent.conftest import LLM_KEY
from tests.core_agent.test_agent import ask, rows, transcript_of
from tests.samples import voice_note, wer
from tests.stand_ins.openai_server import OpenAIStandIn, Slow, Status, ToolCalls
from workers.runtime import Runtime

SPOKEN = "the package arrives on monday afternoon"


async def test_the_llm_plan_runs_on_the_attached_note(llm: OpenAIStandIn, llm_runtime: Runtime,
                                                      tmp_path: Path) -> None:
    llm.script(ToolCalls([("speech_recognition", {"audio": "a1"})]))
    reply = await llm_runtime.agent.handle(ask("what's in this?", voice_note(SPOKEN, tmp_path)))
    assert reply.error_code is None, reply.text
    assert wer(SPOKEN, transcript_of(reply)) < 0.2
    sent = llm.requests[0]["messages"]
    assert any("a1" in str(m.get("content")) for m in sent)  # it saw the note by its handle


@pytest.mark.parametrize(("behaviour", "code", "words"), [
    (Status(500), "llm-unavailable", "try again later"),
    (Slow(5.0), "llm-timeout", "in time"),
])
async def test_a_failing_llm_gets_a_clear_reply_and_loses_nothing(
        llm: OpenAIStandIn, llm_runtime: Runtime, tmp_path: Path,
        caplog: pytest.LogCaptureFixture, behaviour: Status | Slow, code: str, words: str
) -> None:
    caplog.set_level(logging.DEBUG)
    llm.script(behaviour)
    note = voice_note(SPOKEN, tmp_path)
    reply = await llm_runtime.agent.handle(ask("", note))  # the note alone is the request
    assert reply.error_code == code and words in reply.text.lower(), reply.text
    assert LLM_KEY not in reply.text and LLM_KEY not in caplog.text
    (message,) = rows(llm_runtime, MessageRecord, role="user")
    assert (message.status, message.error_code) == ("failed", code)
    assert wer(SPOKEN, message.text) < 0.2  # what was heard is kept for a retry
    (listen,) = rows(llm_runtime, Job, purpose="input")
    assert (listen.task, listen.status) == ("speech_recognition", StepStatus.DONE.value)
    (answer,) = rows(llm_runtime, MessageRecord, role="assistant")
    assert answer.text == reply.text
