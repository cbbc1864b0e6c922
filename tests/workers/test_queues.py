"""Queues by resource: which queue each task's jobs go to, and two real `audiogpt worker`
processes (a CPU one and a GPU-class one serving different tasks) on a real Redis."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core_agent.config import Settings
from core_agent.preload import Preload
from core_agent.tables import Job
from core_agent.types import Attachment, Message, StepStatus
from models.cache import BackendCache
from models.catalog.checkpoints import MANIFEST
from models.settings import ModelSettings
from models.speech_enhancement.deepfilternet import DeepFilterNet
from models.speech_recognition.whisper_turbo import WhisperTurbo
from tests.conftest import make_settings
from tests.net import free_port, get, sample
from tests.neural.speech_recognition import tiny_whisper_ct2
from tests.samples import add_noise, convert, espeak
from tests.workers.test_faults import eventually
from workers.arq_worker import WrongQueue, plan_worker
from workers.health import WorkerStatus, serve_health
from workers.queues import Resource, parse_tasks, queue_name, resource_for, tasks_for
from workers.runner import ArqRunner
from workers.runtime import build_runtime

SPOKEN = "the meeting starts after lunch today"


def install_tiny_whisper(models_dir: Path) -> None:
    """A random-weight Whisper where `audiogpt models pull` would put large-v3-turbo."""
    folder = models_dir / WhisperTurbo.entry.name
    shutil.copytree(tiny_whisper_ct2(), folder)
    (folder / MANIFEST).write_text(json.dumps({"repo": WhisperTurbo.entry.repo, "test": True}))


def test_embedded_tasks_are_cpu_class_and_neural_ones_gpu_class(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", queue_name="q")
    assert resource_for("speech_recognition", settings) == Resource.CPU  # tiny.en, embedded
    assert set(tasks_for(Resource.CPU, settings)) >= {"speech_recognition", "text_to_speech"}
    install_tiny_whisper(settings.models_dir)
    assert resource_for("speech_recognition", settings) == Resource.GPU
    assert "speech_recognition" in tasks_for(Resource.GPU, settings)
    assert resource_for("speech_enhancement", settings) == Resource.CPU
    # Only English audio would be served by an embedded model; the neural one speaks all.
    assert resource_for("speech_recognition", settings, "de") == Resource.GPU
    listed = make_settings(tmp_path / "other", queue_name="q", gpu_tasks="text_to_speech")
    assert resource_for("text_to_speech", listed) == Resource.GPU
    assert queue_name(listed, Resource.GPU) == "q:gpu"


def test_a_worker_declares_one_queue_and_its_tasks(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", gpu_tasks="speech_recognition")
    assert plan_worker(settings, None, ["speech_recognition"]) == (
        Resource.GPU, ["speech_recognition"])
    assert plan_worker(settings, Resource.CPU, None)[1] == tasks_for(Resource.CPU, settings)
    with pytest.raises(WrongQueue, match="speech_enhancement"):
        plan_worker(settings, None, ["speech_recognition", "speech_enhancement"])
    with pytest.raises(ValueError, match="no_such_task"):
        parse_tasks("speech_recognition,no_such_task")
    refused = subprocess.run(
        [sys.executable, "-m", "bots.cli", "worker", "--queue", "tpu"],
        env={**os.environ, "AUDIOGPT_REDIS_URL": "redis://127.0.0.1:1/0",
             "AUDIOGPT_DATA_DIR": str(tmp_path)}, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "tpu" in refused.stderr


@pytest.fixture
def queue_settings(tmp_path: Path, redis_url: str) -> Settings:
    return make_settings(tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'jobs.db'}",
                         redis_url=redis_url, job_timeout=120,
                         queue_name=f"audiogpt:queues:{uuid.uuid4().hex[:8]}")


@pytest.fixture
def two_workers(queue_settings: Settings, tmp_path: Path
                ) -> Iterator[tuple[Path, Path, int]]:
    """A CPU worker serving enhancement, a GPU-class worker serving recognition (on the
    neural Whisper) with its metrics port open; their logs and that port."""
    install_tiny_whisper(queue_settings.models_dir)
    port = free_port()
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(queue_settings.data_dir),
           "AUDIOGPT_DATABASE_URL": queue_settings.db_url,
           "AUDIOGPT_REDIS_URL": str(queue_settings.redis_url),
           "AUDIOGPT_QUEUE_NAME": queue_settings.queue_name}
    runs = [(["--queue", "cpu", "--tasks", "speech_enhancement"], {}),
            (["--tasks", "speech_recognition"], {"AUDIOGPT_WORKER_METRICS_PORT": str(port)})]
    procs, logs = [], []
    for i, (args, extra) in enumerate(runs):
        log = tmp_path / f"worker-{'cpu' if i == 0 else 'gpu'}.log"
        with log.open("wb") as sink:
            procs.append(subprocess.Popen([sys.executable, "-m", "bots.cli", "worker", *args],
                                          env={**env, **extra}, stdout=sink,
                                          stderr=subprocess.STDOUT))
        logs.append(log)
    yield logs[0], logs[1], port
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=30)




@pytest.mark.redis
async def test_each_step_of_a_plan_lands_on_the_worker_for_its_resource(
        queue_settings: Settings, two_workers: tuple[Path, Path, int], tmp_path: Path,
        embedder: object) -> None:
    cpu_log, gpu_log, port = two_workers
    speech = espeak(SPOKEN, tmp_path / "speech.wav")
    note = convert(add_noise(speech, tmp_path / "noisy.wav"), tmp_path / "noisy.ogg")
    await eventually(lambda: b"worker ready" in cpu_log.read_bytes(), seconds=120)
    await eventually(lambda: b"worker ready" in gpu_log.read_bytes(), seconds=120)
    await eventually(lambda: get(f"http://127.0.0.1:{port}/healthz")[0] == 200)
    in_process = BackendCache(ModelSettings.of(queue_settings))
    runtime = build_runtime(queue_settings, embedder=embedder, backends=in_process)  # type: ignore[arg-type]
    assert isinstance(runtime.runner, ArqRunner)
    try:
        reply = await runtime.agent.handle(Message(
            channel_id="cli:queues", text="clean this up and then tell me what's said",
            attachments=[Attachment(path=note, filename=note.name)]))
        with Session(runtime.memory.engine) as session:
            jobs = session.exec(select(Job)).all()
    finally:
        await runtime.aclose()
    assert [s.task for s in reply.steps] == ["speech_enhancement", "speech_recognition"]
    assert all(s.status == StepStatus.DONE for s in reply.steps), reply.text
    assert in_process._loaded == {}  # the workers ran everything
    cpu_seen, gpu_seen = cpu_log.read_text(), gpu_log.read_text()
    for job in jobs:
        ran_on, other = (gpu_seen, cpu_seen) if job.task == "speech_recognition" else \
            (cpu_seen, gpu_seen)
        assert job.id in ran_on and job.id not in other, (job.task, job.id)
    backends = {(j.task, j.backend) for j in jobs if j.status == StepStatus.DONE}
    assert ("speech_recognition", WhisperTurbo.name) in backends
    assert ("speech_enhancement", DeepFilterNet.name) in backends
    assert f"queue {queue_settings.queue_name}:cpu" in cpu_seen
    assert f"queue {queue_settings.queue_name}:gpu" in gpu_seen
    assert "piper" not in gpu_seen.lower()  # it preloaded only the task it serves

    code, health = get(f"http://127.0.0.1:{port}/healthz")
    assert code == 200 and json.loads(health)["tasks"] == ["speech_recognition"]
    _, page = get(f"http://127.0.0.1:{port}/metrics")
    assert sample(page, "audiogpt_jobs_total", task="speech_recognition", outcome="done") >= 1
    assert sample(page, "audiogpt_jobs_total", task="speech_enhancement", outcome="done") == 0
    assert sample(page, "audiogpt_model_load_seconds_count", backend=WhisperTurbo.name) == 1
    assert sample(page, "audiogpt_inference_seconds_count", task="speech_recognition",
                  backend=WhisperTurbo.name) >= 1
    assert sample(page, "audiogpt_queue_depth",
                  queue=f"{queue_settings.queue_name}:gpu") == 0


@pytest.mark.redis
def test_worker_health_waits_for_its_models_and_for_redis(redis_url: str) -> None:
    backends = BackendCache()
    preload = Preload({"text_to_speech": partial(backends.preload, ["text_to_speech"])})
    status = WorkerStatus(redis_url, "q:cpu", ["text_to_speech"], preload)
    port = free_port()
    server = serve_health(status, "127.0.0.1", port)
    try:
        code, body = get(f"http://127.0.0.1:{port}/healthz")
        assert code == 503 and json.loads(body)["ok"] is False  # arq not started yet
        status.serving.set()
        code, body = get(f"http://127.0.0.1:{port}/healthz")  # taking jobs, models loading
        assert code == 200 and json.loads(body)["ready"] is False
        assert json.loads(body)["loading"] == ["text_to_speech"]
        preload.start()
        preload.done.wait()
        code, body = get(f"http://127.0.0.1:{port}/healthz")
        assert code == 200 and json.loads(body)["ready"] is True
        assert json.loads(body)["loading"] == [] and "piper-joe" in backends._loaded
        assert get(f"http://127.0.0.1:{port}/nothing")[0] == 404
        status.redis_url = f"redis://127.0.0.1:{free_port()}/0"  # Redis gone
        code, body = get(f"http://127.0.0.1:{port}/healthz")
        assert code == 503 and json.loads(body)["redis"] is False
        code, page = get(f"http://127.0.0.1:{port}/metrics")  # still answers, without queue depths
        assert code == 200 and "# TYPE audiogpt_jobs_total counter" in page
    finally:
        server.shutdown()
        server.server_close()
