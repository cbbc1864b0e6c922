"""A timed-out or cancelled step stops using CPU for real, and a cancelled job stays
cancelled: in this process and on an `audiogpt worker`, measured in CPU-seconds.

CPU is compared with CPU: what the process used per second while the step ran against
what it used in the seconds after the job was recorded as stopped, so a loaded machine
slows both alike.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime
import pytest
from onnx import TensorProto, helper, numpy_helper
from sqlmodel import Session, select

import workers.steps
from core_agent.config import Settings
from core_agent.memory import Memory
from core_agent.tables import ArtifactRecord, Job
from core_agent.types import Kind, StepStatus
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.generation.audioldm2 import AudioLdm2
from models.generation.musicgen import MusicGenSmall
from models.stop import Stopped, StopToken, current, run_session
from tests.conftest import REDIS_URL, make_settings, report
from tests.neural.generation import tiny_audioldm2, tiny_musicgen
from tests.samples import SENTENCES, long_recording
from tests.workers.test_faults import Workers, eventually
from workers.runtime import Runtime, build_runtime

CHANNEL = "cli:stop"
SETTLE = 3.0  # seconds of CPU watched after a stop
RUNNING = 1.5  # seconds of CPU watched while a step runs
SHARE = 0.2  # after a stop, at most this share of the CPU rate it ran at
IDLE = 0.1  # CPU-seconds an idle process may use in SETTLE (an arq worker polls Redis)
# About four minutes of speech, far more than any test lets it finish.
LONG_TEXT = " ".join(f"{s.capitalize()}." for s in SENTENCES * 9)[:3900]


@pytest.fixture(scope="module")
def long_note(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ten minutes of speech as OGG/Opus: tiny.en takes far longer than the worker's 10 s
    job timeout on it, even warm on idle cores (four minutes once finished inside it)."""
    return long_recording(tmp_path_factory.mktemp("long"), minutes=10)[0]


async def add_job(memory: Memory, task: str, upload: Path | None = None, **args: object
                  ) -> str:
    """A job recorded as the agent records one, on an uploaded recording if given."""
    await memory.channel(CHANNEL, "cli")
    message = await memory.add_message(CHANNEL, "user", "a long one")
    if upload is not None:
        audio = await memory.add_artifact(CHANNEL, upload, kind=Kind.AUDIO, mime="audio/ogg",
                                          producer="upload", message_id=message)
        args["audio"] = audio.handle
    return await memory.add_job(CHANNEL, message, 1, task, dict(args))


def job_of(memory: Memory, job_id: str) -> tuple[Job, list[ArtifactRecord]]:
    """The job's record and the artifacts stored for it."""
    with Session(memory.engine) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job, list(s.exec(select(ArtifactRecord).where(
            ArtifactRecord.job_id == job_id)).all())


async def cpu_over(seconds: float, cpu: Callable[[], float]) -> float:
    """CPU-seconds used (by the clock `cpu` reads) while this test waits `seconds`."""
    before = cpu()
    await asyncio.sleep(seconds)
    return cpu() - before


def settled(what: str, after: float, rate: float) -> None:
    """Assert the CPU used in SETTLE seconds after a stop is a small share of what carrying
    on at the running rate would have used, and keep both figures for the summary."""
    report(f"{what}: {after:.2f} CPU-s in the {SETTLE:.0f} s after the stop; "
           f"{rate * SETTLE:.2f} CPU-s at the rate it ran")
    assert after < max(SHARE * rate * SETTLE, IDLE), (after, rate)


def step_threads() -> list[str]:
    """The threads of this process now inside a step's executor."""
    frames = sys._current_frames()
    return [t.name for t in threading.enumerate() if t.ident in frames and any(
        Path(f.f_code.co_filename).parent == Path(workers.steps.__file__).parent
        for f, _ in traceback.walk_stack(frames[t.ident]))]


def proc_cpu(pid: int) -> float:
    """CPU-seconds a process has used, all its threads (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture
def in_process(tmp_path: Path, embedder: MiniLMEmbedder, backends: BackendCache
               ) -> Callable[[float], Runtime]:
    """A runtime with in-process jobs and the given job timeout (seconds)."""

    def make(job_timeout: float) -> Runtime:
        settings = make_settings(tmp_path / "data", job_timeout=job_timeout)
        return build_runtime(settings, embedder=embedder, backends=backends)

    return make


async def test_a_timed_out_step_stops_using_cpu(
        in_process: Callable[[float], Runtime], backends: BackendCache, long_note: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    rt = in_process(4)
    backends.for_task("speech_recognition")  # loaded before the clock starts
    job_id = await add_job(rt.memory, "speech_recognition", long_note)
    started, cpu = time.perf_counter(), time.process_time()
    with caplog.at_level(logging.INFO, logger="workers.jobs"):
        await rt.runner.run(job_id)
    rate = (time.process_time() - cpu) / (time.perf_counter() - started)
    after = await cpu_over(SETTLE, time.process_time)
    job, outputs = job_of(rt.memory, job_id)
    await rt.aclose()
    assert (job.status, job.error_code) == ("failed", "job-timeout")
    assert job.error == "The job took longer than 4 s and was stopped."
    assert outputs == [] and step_threads() == []
    settled("in-process timeout (speech recognition)", after, rate)
    stopped = [r for r in caplog.records if "stopped" in r.getMessage()]
    assert stopped and all(r.levelno == logging.INFO and not r.exc_info for r in stopped)
    assert not any("still runs" in r.getMessage() for r in caplog.records)


async def test_a_job_cancelled_while_it_speaks_stops_and_stays_cancelled(
        in_process: Callable[[float], Runtime], backends: BackendCache) -> None:
    rt = in_process(300)
    backends.for_task("text_to_speech")
    job_id = await add_job(rt.memory, "text_to_speech", text=LONG_TEXT)
    run = asyncio.create_task(rt.runner.run(job_id))
    await eventually(lambda: job_of(rt.memory, job_id)[0].status == StepStatus.RUNNING)
    rate = await cpu_over(RUNNING, time.process_time) / RUNNING
    assert not run.done()
    assert await rt.memory.cancel_jobs(CHANNEL, "cancelled with /cancel") == 1
    await asyncio.wait_for(run, 60)
    after = await cpu_over(SETTLE, time.process_time)
    job, outputs = job_of(rt.memory, job_id)
    events = [e.stage for e in await rt.memory.events(job_id)]
    await rt.aclose()
    assert (job.status, job.error, job.outputs) == ("cancelled", "cancelled with /cancel", None)
    assert outputs == [] and events[-1] == "cancelled" and step_threads() == []
    settled("in-process cancel (text to speech)", after, rate)


async def test_cancelling_the_turn_stops_its_step(
        in_process: Callable[[float], Runtime], backends: BackendCache,
        long_note: Path) -> None:
    rt = in_process(300)
    backends.for_task("speech_recognition")
    job_id = await add_job(rt.memory, "speech_recognition", long_note)
    turn = asyncio.create_task(rt.runner.run(job_id))
    await eventually(lambda: job_of(rt.memory, job_id)[0].status == StepStatus.RUNNING)
    rate = await cpu_over(RUNNING, time.process_time) / RUNNING
    turn.cancel()  # as /cancel cancels a turn's task
    with pytest.raises(asyncio.CancelledError):
        await turn
    after = await cpu_over(SETTLE, time.process_time)
    job, outputs = job_of(rt.memory, job_id)
    await rt.aclose()
    assert (job.status, job.error) == ("cancelled", "stopped before it finished")
    assert outputs == [] and step_threads() == []
    settled("in-process turn cancelled (speech recognition)", after, rate)


async def test_a_cancelled_job_keeps_its_state_and_no_files(
        database_url: str, tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    rt = build_runtime(make_settings(tmp_path / "data", database_url=database_url),
                       embedder=embedder)
    memory = rt.memory
    job_id = await add_job(memory, "text_to_speech", text="hello")
    await memory.claim_job(job_id, "piper-joe")
    made = tmp_path / "made.wav"
    made.write_bytes(b"RIFF")
    await memory.add_artifact(CHANNEL, made, kind=Kind.AUDIO, mime="audio/wav",
                              producer="job:text_to_speech", job_id=job_id)
    assert await memory.cancel_jobs(CHANNEL, "cancelled with /cancel") == 1
    late = await memory.finish_job(job_id, StepStatus.DONE, outputs={"artifacts": ["a1"]})
    failed = await memory.finish_job(job_id, StepStatus.FAILED, error="too late")
    job, outputs = job_of(memory, job_id)
    await rt.aclose()
    assert (late, failed) == (False, False)
    assert (job.status, job.error, job.outputs) == ("cancelled", "cancelled with /cancel", None)
    assert outputs == []


async def test_a_refused_input_is_logged_without_a_traceback(
        in_process: Callable[[float], Runtime], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    rt = in_process(60)
    garbage = tmp_path / "note.ogg"
    garbage.write_bytes(b"OggS" + bytes(range(256)) * 8)  # an OGG header, then noise
    job_id = await add_job(rt.memory, "speech_recognition", garbage)
    with caplog.at_level(logging.INFO, logger="workers.jobs"):
        await rt.runner.run(job_id)
    job, _ = job_of(rt.memory, job_id)
    await rt.aclose()
    assert (job.status, job.error_code) == ("failed", "input-rejected")
    mine = [r for r in caplog.records if r.name == "workers.jobs"]
    assert mine and all(r.levelno == logging.INFO and not r.exc_info for r in mine)
    assert any("ended with media-unreadable: it isn't audio" in r.getMessage() for r in mine)


def matmul_chain(nodes: int, size: int = 512) -> onnxruntime.InferenceSession:
    """An ONNX graph of `nodes` MatMuls one after another, on one CPU thread."""
    rng = np.random.default_rng(0)
    weights = (rng.standard_normal((size, size)) / np.sqrt(size)).astype(np.float32)
    chain = [helper.make_node("MatMul", ["x" if i == 0 else f"h{i - 1}", "w"], [f"h{i}"])
             for i in range(nodes)]
    graph = helper.make_graph(
        chain, "chain", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [size, size])],
        [helper.make_tensor_value_info(f"h{nodes - 1}", TensorProto.FLOAT, [size, size])],
        [numpy_helper.from_array(weights, "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # work on the caller
    return onnxruntime.InferenceSession(model.SerializeToString(), options,
                                        providers=["CPUExecutionProvider"])


def test_a_stop_ends_a_long_onnx_run_between_nodes() -> None:
    x = np.eye(512, dtype=np.float32)
    short = matmul_chain(20)
    expected = short.run(None, {"x": x})[0]
    assert np.allclose(run_session(short, None, {"x": x})[0], expected)  # outside a step
    cpu = time.thread_time()
    run_session(short, None, {"x": x})
    per_node = (time.thread_time() - cpu) / 20
    long = matmul_chain(4000)  # some 200 times the short run's CPU

    token, ended = StopToken(), threading.Event()
    outcome: list[BaseException | float] = []

    def step() -> None:
        current.set(token)
        cpu = time.thread_time()
        try:
            run_session(long, None, {"x": x})
        except Stopped as err:
            outcome.append(err)
        outcome.append(time.thread_time() - cpu)
        ended.set()

    thread = threading.Thread(target=step)
    thread.start()
    time.sleep(0.5)
    token.stop("cancelled")
    assert ended.wait(60)
    thread.join()
    assert isinstance(outcome[0], Stopped) and str(outcome[0]) == "cancelled"
    used = outcome[1]
    assert isinstance(used, float)
    report(f"ONNX run stopped after 0.5 s: {used:.2f} CPU-s of the {per_node * 4000:.1f} "
           "a whole run takes")
    assert used < SHARE * per_node * 4000, (used, per_node)


def run_stopped_after(runs: int, module: Any, work: Callable[[], object]) -> int:
    """Run `work` as a step whose token is stopped once `module` (a torch module) has run
    `runs` times; how many times it ran in all. Stopped must end the work."""
    token, count = StopToken(), [0]

    def counted(*_: object) -> None:
        count[0] += 1
        if count[0] == runs:
            token.stop("cancelled")

    context = contextvars.copy_context()
    context.run(current.set, token)
    hook = module.register_forward_hook(counted)
    try:
        with pytest.raises(Stopped):
            context.run(work)
    finally:
        hook.remove()
    return count[0]


def test_a_stop_ends_diffusion_between_steps_and_music_between_tokens() -> None:
    diffusion = AudioLdm2(tiny_audioldm2(), steps=40)
    diffusion.load()
    unet = diffusion.shared.pipe.unet
    assert run_stopped_after(2, unet, lambda: diffusion.generate("rain", 1.0, seed=1)) == 2
    music = MusicGenSmall(tiny_musicgen())
    music.load()
    decoder = music._model.decoder  # one pass per token, of the 50 a second takes
    assert run_stopped_after(3, decoder, lambda: music.generate("lofi beat", 1.0, seed=1)) == 3


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, int]]:
    """One `audiogpt worker` on real Redis, its settings and pid; 10 s job timeout."""
    folder = tmp_path_factory.mktemp("arq")
    settings = make_settings(folder / "data", database_url=f"sqlite:///{folder / 'jobs.db'}",
                             redis_url=REDIS_URL, job_timeout=10,
                             queue_name=f"audiogpt:stop:{uuid.uuid4().hex[:8]}")
    build_runtime(settings, embedder=MiniLMEmbedder()).memory.engine.dispose()  # migrated
    workers = Workers(settings, folder)
    log = workers.start()
    try:
        asyncio.run(workers.preloaded(log))  # its CPU is then the jobs' alone
        yield settings, workers.procs[0][0].pid
    finally:
        workers.stop()


async def transcribing_on(worker: tuple[Settings, int], long_note: Path,
                          embedder: MiniLMEmbedder
                          ) -> tuple[Runtime, str, asyncio.Task[None], float]:
    """A long transcription sent to the worker, once it is busy with it: the runtime, the
    job, the waiting run and the worker's CPU rate while it transcribes."""
    settings, pid = worker
    rt = build_runtime(settings, embedder=embedder)
    job_id = await add_job(rt.memory, "speech_recognition", long_note)
    base = proc_cpu(pid)
    run = asyncio.create_task(rt.runner.run(job_id))
    await eventually(lambda: proc_cpu(pid) - base > 1.0, seconds=60)  # it is transcribing
    rate = await cpu_over(RUNNING, lambda: proc_cpu(pid)) / RUNNING
    return rt, job_id, run, rate


@pytest.mark.redis
async def test_a_job_cancelled_on_a_worker_stops_there_and_stays_cancelled(
        worker: tuple[Settings, int], long_note: Path, embedder: MiniLMEmbedder) -> None:
    pid = worker[1]
    rt, job_id, run, rate = await transcribing_on(worker, long_note, embedder)
    assert await rt.memory.cancel_jobs(CHANNEL, "cancelled with /cancel") == 1
    await asyncio.wait_for(run, 60)  # arq has the worker's result: its run ended
    after = await cpu_over(SETTLE, lambda: proc_cpu(pid))
    job, outputs = job_of(rt.memory, job_id)
    events = [e.stage for e in await rt.memory.events(job_id)]
    await rt.aclose()
    assert (job.status, job.error) == ("cancelled", "cancelled with /cancel")
    assert outputs == [] and events[-1] == "cancelled"
    settled("worker cancel (speech recognition)", after, rate)


@pytest.mark.redis
async def test_a_job_timed_out_on_a_worker_stops_there(
        worker: tuple[Settings, int], long_note: Path, embedder: MiniLMEmbedder) -> None:
    pid = worker[1]
    rt, job_id, run, rate = await transcribing_on(worker, long_note, embedder)
    await asyncio.wait_for(run, 60)
    after = await cpu_over(SETTLE, lambda: proc_cpu(pid))
    job, outputs = job_of(rt.memory, job_id)
    await rt.aclose()
    assert (job.status, job.error_code) == ("failed", "job-timeout")
    assert job.error == "The job took longer than 10 s and was stopped." and outputs == []
    settled("worker timeout (speech recognition)", after, rate)
