"""Faults survived with nothing lost, done for real: a worker SIGKILLed mid-job, and a
Redis server (our own, on a spare port) restarted with jobs queued and workers running."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core_agent.config import Settings
from core_agent.tables import ArtifactRecord, Job
from core_agent.types import Message, Reply, StepStatus
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from tests.net import free_port
from workers.runtime import Runtime, build_runtime

pytestmark = pytest.mark.redis
LONG_TEXT = ("read this aloud: " + "The quarterly report is due on friday and the meeting "
             "starts after lunch today, so please bring the numbers. " * 6)


async def eventually(check: Callable[[], bool], seconds: float = 30) -> None:
    """Wait until `check()` holds, polling."""
    for _ in range(int(seconds / 0.02)):
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"not within {seconds} s")



class Workers:
    """`audiogpt worker` processes on one queue, started and killed at will."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.env = {**os.environ, "AUDIOGPT_DATA_DIR": str(settings.data_dir),
                    "AUDIOGPT_DATABASE_URL": settings.db_url,
                    "AUDIOGPT_REDIS_URL": str(settings.redis_url),
                    "AUDIOGPT_QUEUE_NAME": settings.queue_name,
                    "AUDIOGPT_JOB_TIMEOUT": str(settings.job_timeout)}
        self.logs, self.procs = logs, list[tuple[subprocess.Popen[bytes], Path]]()

    def start(self) -> Path:
        log = self.logs / f"worker{len(self.procs)}.log"
        with log.open("wb") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "worker"], env=self.env,
                                    stdout=sink, stderr=subprocess.STDOUT)
        self.procs.append((proc, log))
        return log

    async def ready(self, log: Path) -> None:
        await eventually(lambda: b"worker ready" in log.read_bytes(), seconds=90)

    async def preloaded(self, log: Path) -> None:
        """Until the worker's models are loaded (it takes jobs before, as they load)."""
        await eventually(lambda: b"ready: preloaded" in log.read_bytes(), seconds=300)

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            proc.wait(timeout=30)


@pytest.fixture
def redis_port() -> Iterator[int]:
    """A Redis of this test's own, so restarting it disturbs nobody else."""
    port = free_port()
    yield port
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True,
                   check=False)


def start_redis(port: int) -> None:
    subprocess.run(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--logfile", ""], check=True)
    for _ in range(50):
        if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                          text=True).stdout.strip() == "PONG":
            return
        time.sleep(0.1)
    raise AssertionError("redis did not start")


def stop_redis(port: int) -> None:
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True,
                   check=False)


def settings_for(tmp_path: Path, port: int, job_timeout: float) -> Settings:
    return make_settings(tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'jobs.db'}",
                         redis_url=f"redis://127.0.0.1:{port}/0", job_timeout=job_timeout,
                         queue_name=f"audiogpt:faults:{uuid.uuid4().hex[:8]}")


def plan_jobs(rt: Runtime) -> list[Job]:
    with Session(rt.memory.engine) as s:
        return list(s.exec(select(Job).where(Job.purpose == "plan")).all())


def running(rt: Runtime) -> bool:
    return any(j.status == StepStatus.RUNNING for j in plan_jobs(rt))


def outputs_of(rt: Runtime, job: Job) -> list[ArtifactRecord]:
    with Session(rt.memory.engine) as s:
        return list(s.exec(select(ArtifactRecord).where(ArtifactRecord.job_id == job.id)).all())


@asynccontextmanager
async def mid_job(tmp_path: Path, port: int, embedder: MiniLMEmbedder, job_timeout: float
                  ) -> AsyncIterator[tuple[Runtime, Workers, asyncio.Task[Reply]]]:
    """One worker on our own Redis, caught in the middle of a long synthesis job."""
    start_redis(port)
    settings = settings_for(tmp_path, port, job_timeout)
    workers = Workers(settings, tmp_path)
    rt = build_runtime(settings, embedder=embedder)
    try:
        await workers.ready(workers.start())
        turn = asyncio.create_task(rt.agent.handle(Message(channel_id="cli:long",
                                                           text=LONG_TEXT)))
        await eventually(lambda: turn.done() or running(rt))
        assert not turn.done(), turn.result().text
        yield rt, workers, turn
    finally:
        workers.stop()
        await rt.aclose()


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_runs_once_more(
        tmp_path: Path, redis_port: int, embedder: MiniLMEmbedder) -> None:
    async with mid_job(tmp_path, redis_port, embedder, job_timeout=10) as (rt, workers, turn):
        workers.procs[0][0].send_signal(signal.SIGKILL)  # mid-synthesis
        workers.start()  # its replacement takes the job once arq's claim on it expires,
        # 10 s after arq's own limit (workers.jobs.worker_timeout): 55 s after it started
        reply = await asyncio.wait_for(turn, timeout=120)
        (job,) = plan_jobs(rt)
        assert reply.error_code is None, reply.text
        assert (job.status, job.attempts) == ("done", 2)
        assert len(outputs_of(rt, job)) == 1  # the retry posted once


async def test_a_stopped_worker_finishes_its_job_first(
        tmp_path: Path, redis_port: int, embedder: MiniLMEmbedder) -> None:
    async with mid_job(tmp_path, redis_port, embedder, job_timeout=30) as (rt, workers, turn):
        worker = workers.procs[0][0]
        worker.send_signal(signal.SIGTERM)  # a deploy, or Ctrl-C
        reply = await asyncio.wait_for(turn, timeout=60)
        assert reply.error_code is None, reply.text
        assert [(j.status, j.attempts) for j in plan_jobs(rt)] == [("done", 1)]
        assert await asyncio.to_thread(worker.wait, 30) == 0  # then it left


async def test_redis_restarts_lose_no_job(tmp_path: Path, redis_port: int,
                                          embedder: MiniLMEmbedder) -> None:
    start_redis(redis_port)
    settings = settings_for(tmp_path, redis_port, job_timeout=20)
    workers = Workers(settings, tmp_path)
    rt = build_runtime(settings, embedder=embedder)
    try:
        # Queued while no worker runs, then Redis restarts empty (it keeps nothing on disk).
        turn = asyncio.create_task(rt.agent.handle(Message(
            channel_id="cli:redis", text="say the meeting starts after lunch today")))
        await eventually(lambda: bool(plan_jobs(rt)))
        await asyncio.sleep(0.5)
        stop_redis(redis_port)
        await asyncio.sleep(1.0)
        start_redis(redis_port)
        await workers.ready(workers.start())
        first = await asyncio.wait_for(turn, timeout=60)
        assert first.error_code is None, first.text

        # A running worker and the bot both ride out a second restart.
        stop_redis(redis_port)
        await asyncio.sleep(1.0)
        start_redis(redis_port)
        second = await asyncio.wait_for(rt.agent.handle(Message(
            channel_id="cli:redis", text="say the package arrives on monday afternoon")),
            timeout=60)
        assert second.error_code is None, second.text
        assert [(j.status, j.attempts) for j in plan_jobs(rt)] == [("done", 1)] * 2
        assert workers.procs[0][0].poll() is None  # the worker is still serving
    finally:
        workers.stop()
        await rt.aclose()


async def test_start_up_closes_turns_a_crash_left_open(runtime: Runtime) -> None:
    memory = runtime.memory
    await memory.channel("web:crash", "web")
    open_turn = await memory.add_message("web:crash", "user", "say hello", author="ana")
    job = await memory.add_job("web:crash", open_turn, 1, "text_to_speech", {"text": "hello"})
    await memory.claim_job(job, "piper-joe")  # it was running when the process died
    answered = await runtime.agent.handle(Message(channel_id="web:crash", text="hello"))

    await runtime.start()

    stored = await memory.messages("web:crash")
    turn = next(row for row, _ in stored if row.id == open_turn)
    reply = next(row for row, _ in stored if row.reply_to == open_turn)
    assert (turn.status, turn.error_code) == ("failed", "interrupted")
    assert "restarted" in reply.text and "send it again" in reply.text
    assert (await memory.get_job(job)).status == "failed"  # type: ignore[union-attr]
    finished = await memory.get_message(answered.message_id or "")
    assert finished is not None and finished.role == "assistant"  # others untouched
    assert len([row for row, _ in stored if row.role == "assistant"]) == 2
