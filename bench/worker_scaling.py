"""Workers on the CPU path: jobs per second through Redis with 1, 2 and 4 `audiogpt worker`
processes, memory per worker with every embedded model resident, and cold start (load) and
warm job time per embedded model.

    .venv/bin/python -m bench.worker_scaling [--redis URL] [--jobs 48] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.turn_latency import cpu_model
from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.memory import Memory
from core_agent.types import Kind
from media.probe import probe
from models.registry import BACKENDS
from workers.runner import ArqRunner, InlineRunner

SENTENCE = "Your order has shipped and will arrive on Monday."
READY = b"worker ready"
COLD = """
import sys, time
from models.cache import BackendCache
cache = BackendCache()
started = time.perf_counter()
cache.get(sys.argv[1])
print(time.perf_counter() - started, cache.sizes[sys.argv[1]])
"""
# One job per task with an embedded model: a1 is a 4 s spoken sentence in noise, a2 the
# same voice alone (a reference). Talking head needs a face picture: not timed here.
WARM_JOBS: dict[str, dict[str, Any]] = {
    "speech_recognition": {"audio": "a1"},
    "text_to_speech": {"text": SENTENCE},
    "style_transfer": {"text": SENTENCE, "reference": "a1"},
    "speech_enhancement": {"audio": "a1"},
    "speech_separation": {"audio": "a1", "reference": "a2"},
    "mono_to_binaural": {"audio": "a1", "azimuth": 60},
    "audio_inpainting": {"audio": "a1", "start": 1.0, "end": 1.2},
    "sound_extraction": {"audio": "a1", "query": "speech"},
    "target_sound_detection": {"audio": "a1", "query": "speech"},
    "sound_detection": {"audio": "a1"},
    "audio_to_text": {"audio": "a1"},
    "singing_synthesis": {"lyrics": "la la la la"},
    "audio_edit": {"audio": "a1", "operation": "reverse"},
}


def settings_for(data: Path, redis: str | None, database_url: str | None) -> Settings:
    return Settings(_env_file=None, data_dir=data, redis_url=redis,  # type: ignore[call-arg]
                    database_url=database_url or f"sqlite:///{data / 'bench.db'}",
                    queue_name=f"audiogpt:bench:{uuid.uuid4().hex[:6]}", job_timeout=120)


def start_worker(settings: Settings, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(settings.data_dir),
           "AUDIOGPT_DATABASE_URL": settings.db_url, "AUDIOGPT_REDIS_URL": str(settings.redis_url),
           "AUDIOGPT_QUEUE_NAME": settings.queue_name}
    with log.open("wb") as sink:
        return subprocess.Popen([sys.executable, "-m", "bots.cli", "worker", *args], env=env,
                                stdout=sink, stderr=subprocess.STDOUT)


def wait_ready(logs: list[Path], seconds: float = 180) -> float:
    started = time.perf_counter()
    while not all(READY in log.read_bytes() for log in logs):
        if time.perf_counter() - started > seconds:
            raise SystemExit("workers did not start: " + logs[0].read_text()[-2000:])
        time.sleep(0.1)
    return time.perf_counter() - started


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def speech_jobs(memory: Memory, count: int) -> list[str]:
    """Jobs from as many chats (as under load from many users)."""
    jobs = []
    for _ in range(count):
        channel = await memory.channel(f"cli:bench-{uuid.uuid4().hex[:8]}", "cli")
        message = await memory.add_message(channel.id, "user", "bench")
        jobs.append(await memory.add_job(channel.id, message, 1, "text_to_speech",
                                         {"text": SENTENCE}))
    return jobs


async def throughput(settings: Settings, workers: int, jobs: int, work: Path) -> float:
    logs = [work / f"tts-{workers}-{i}.log" for i in range(workers)]
    procs = [start_worker(settings, log, "--queue", "cpu", "--tasks", "text_to_speech")
             for log in logs]
    memory = open_memory(settings)
    runner = ArqRunner(settings, memory)
    try:
        await asyncio.to_thread(wait_ready, logs)
        warm = await speech_jobs(memory, 2 * workers)
        await asyncio.gather(*(runner.run(job) for job in warm))
        batch = await speech_jobs(memory, jobs)
        started = time.perf_counter()
        await asyncio.gather(*(runner.run(job) for job in batch))
        elapsed = time.perf_counter() - started
        done = [found for job in batch if (found := await memory.get_job(job)) is not None]
        failed = [(j.status, j.error_code, j.error) for j in done if j.status != "done"]
        assert len(done) == len(batch)
        assert not failed, failed[:3]
    finally:
        await runner.aclose()
        memory.engine.dispose()
        stop(procs)
    return jobs / elapsed


def resident(settings: Settings, work: Path) -> tuple[float, float, float]:
    """RSS (MB) of a worker with no model, and of one with every CPU-class model, and the
    latter's start-up time (s)."""
    bare_log, full_log = work / "bare.log", work / "full.log"
    bare = start_worker(settings, bare_log, "--tasks", "audio_edit")
    wait_ready([bare_log])
    bare_mb = rss_mb(bare.pid)
    stop([bare])
    full = start_worker(settings, full_log, "--queue", "cpu")
    started = wait_ready([full_log])
    full_mb = rss_mb(full.pid)
    stop([full])
    return bare_mb, full_mb, started


def cold_loads() -> dict[str, tuple[float, float]]:
    """Seconds and MB each embedded backend takes to load, each in a fresh process."""
    loads = {}
    for name, cls in BACKENDS.items():
        if cls.tier != "embedded" or not cls.installed():
            continue
        run = subprocess.run([sys.executable, "-c", COLD, name], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parents[1])
        seconds, size = run.stdout.split()[-2:]
        loads[name] = (float(seconds), int(size) / 2**20)
    return loads


async def warm_jobs(settings: Settings, work: Path, rounds: int = 3) -> dict[str, float]:
    """Median seconds of a job per task, models already loaded, jobs in-process."""
    from tests.samples import add_noise, espeak

    memory = open_memory(settings)
    runner = InlineRunner(memory, settings)
    channel = await memory.channel("cli:warm", "cli")
    message = await memory.add_message(channel.id, "user", "warm")
    noisy = add_noise(espeak(SENTENCE, work / "speech.wav"), work / "noisy.wav")
    voice = espeak("This is what my voice sounds like.", work / "voice.wav")
    for path in (noisy, voice):
        info = probe(path)
        await memory.add_artifact(channel.id, path, kind=Kind.AUDIO, mime="audio/wav",
                                  producer="upload", duration=info.duration,
                                  sample_rate=info.sample_rate, channels=info.channels)
    times = {}
    for task, args in WARM_JOBS.items():
        runs = []
        for i in range(rounds + 1):  # the first loads the model
            job = await memory.add_job(channel.id, message, i + 1, task, args)
            started = time.perf_counter()
            await runner.run(job)
            runs.append(time.perf_counter() - started)
            record = await memory.get_job(job)
            assert record is not None and record.status == "done", (task, record)
        times[task] = sorted(runs[1:])[len(runs[1:]) // 2]
    memory.engine.dispose()
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--jobs", type=int, default=48)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    opts = parser.parse_args()
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}")
    with tempfile.TemporaryDirectory(prefix="audiogpt-bench-") as tmp:
        work = Path(tmp)
        for n in opts.workers:
            settings = settings_for(work / f"w{n}", opts.redis, opts.database_url)
            rate = await throughput(settings, n, opts.jobs, work)
            print(f"{n} worker(s), text_to_speech x{opts.jobs}: {rate:.2f} jobs/s")
        bare, full, start = resident(settings_for(work / "mem", opts.redis, None), work)
        print(f"worker RSS: no model {bare:.0f} MB; every CPU-class model {full:.0f} MB "
              f"(ready in {start:.1f} s)")
        for name, (seconds, size) in cold_loads().items():
            print(f"cold load {name}: {seconds:.2f} s, +{size:.0f} MB")
        for task, seconds in (await warm_jobs(settings_for(work / "warm", None, None),
                                              work)).items():
            print(f"warm job {task}: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
