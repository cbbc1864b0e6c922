"""Jobs through arq: real Redis, separate `audiogpt worker` processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from core_agent.config import Settings
from core_agent.tables import Job, JobEvent
from core_agent.types import Attachment, Message, StepStatus
from models.cache import BackendCache
from tests.conftest import make_settings
from tests.net import free_port
from tests.samples import add_noise, convert, espeak, wer
from workers.runner import ArqRunner
from workers.runtime import build_runtime

pytestmark = pytest.mark.redis
SPOKEN = "the meeting starts after lunch today"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def arq_settings(request: pytest.FixtureRequest, tmp_path: Path, redis_url: str) -> Settings:
    url = (f"sqlite:///{tmp_path / 'shared.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    return make_settings(tmp_path / "data", database_url=url, redis_url=redis_url,
                         queue_name=f"audiogpt:test:{uuid.uuid4().hex[:8]}", job_timeout=120)


@pytest.fixture
def workers(arq_settings: Settings, tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Two worker processes on the test's queue, stopped (SIGTERM) afterwards."""
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(arq_settings.data_dir),
           "AUDIOGPT_DATABASE_URL": arq_settings.db_url,
           "AUDIOGPT_REDIS_URL": str(arq_settings.redis_url),
           "AUDIOGPT_QUEUE_NAME": arq_settings.queue_name}
    logs = [(tmp_path / f"worker{i}.log").open("wb") for i in range(2)]
    procs = [subprocess.Popen([sys.executable, "-m", "bots.cli", "worker"], env=env, stdout=log,
                              stderr=subprocess.STDOUT) for log in logs]
    yield procs
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc, log in zip(procs, logs, strict=True):
        proc.wait(timeout=30)
        log.close()


async def test_two_step_chain_runs_on_separate_workers(
        arq_settings: Settings, workers: list[subprocess.Popen[bytes]], tmp_path: Path,
        embedder: object) -> None:
    speech = espeak(SPOKEN, tmp_path / "speech.wav")
    note = convert(add_noise(speech, tmp_path / "noisy.wav"), tmp_path / "noisy.ogg")
    in_process = BackendCache()
    runtime = build_runtime(arq_settings, embedder=embedder, backends=in_process)  # type: ignore[arg-type]
    assert isinstance(runtime.runner, ArqRunner)
    try:
        reply = await runtime.agent.handle(Message(
            channel_id="cli:arq", text="clean this up and then tell me what's said",
            attachments=[Attachment(path=note, filename=note.name)]))
        with Session(runtime.memory.engine) as session:
            by_step: Any = Job.step
            jobs = session.exec(select(Job).order_by(by_step)).all()
            events = session.exec(select(JobEvent)).all()
    finally:
        await runtime.aclose()
    assert [s.task for s in reply.steps] == ["speech_enhancement", "speech_recognition"]
    assert all(s.status == StepStatus.DONE for s in reply.steps), reply.text
    assert wer(SPOKEN, reply.steps[1].text or "") < 0.2
    assert in_process._loaded == {}  # no model ran in this process: the workers did it all
    assert [(j.step, j.status, j.attempts) for j in jobs] == [(1, "done", 1), (2, "done", 1)]
    assert {e.stage for e in events} >= {"running", "done"}
    assert all(proc.poll() is None for proc in workers)  # still serving


async def test_with_the_queue_unreachable_the_reply_says_so(tmp_path: Path,
                                                          embedder: object) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = make_settings(tmp_path / "data", redis_url=closed, queue_name="audiogpt:away")
    runtime = build_runtime(settings, embedder=embedder)  # type: ignore[arg-type]
    try:
        reply = await runtime.agent.handle(Message(channel_id="cli:away", text="say hello"))
        with Session(runtime.memory.engine) as session:
            jobs = session.exec(select(Job)).all()
        stored = await runtime.memory.messages("cli:away")
    finally:
        await runtime.aclose()
    assert reply.error_code == "queue-unavailable"
    assert "job queue is unavailable" in reply.text and "try again shortly" in reply.text
    assert [(j.task, j.status, j.error_code) for j in jobs] == [
        ("text_to_speech", "failed", "queue-unavailable")]
    (asked, _), (answer, _) = stored  # the message and the reply are kept
    assert (asked.role, asked.status, asked.error_code) == ("user", "failed", "queue-unavailable")
    assert (answer.role, answer.text) == ("assistant", reply.text)
