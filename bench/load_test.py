"""Many users at once on loopback: a mix of text and voice notes for a few minutes.

    .venv/bin/python -m bench.load_test --users 200 --minutes 3 [--redis redis://127.0.0.1:6379/0]

Each simulated user has a channel of their own and, after a random pause (exponential,
mean --think seconds), sends either a text request ("read this aloud: ...", a greeting)
or one of the prepared voice notes, then waits for the reply before thinking again.
Without --redis jobs run in the bot process; with it, two `audiogpt worker` processes run
them. At the end the database is checked: every message sent has exactly one reply.
Prints throughput, latency percentiles and memory; record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session, select

from bench.turn_latency import cpu_model
from core_agent.config import Settings
from core_agent.tables import MessageRecord
from core_agent.types import Attachment, Message
from models.cache import BackendCache
from tests.samples import convert, espeak
from workers.runtime import build_runtime

TEXTS = ["read this aloud: your table is ready", "hello there", "say thanks for waiting",
         "what can you do?", "read this aloud: the train leaves at seven"]
SPOKEN = ["please say good morning everyone", "read this aloud: the meeting starts at noon"]


def rss_mib(pid: int) -> float:
    """Resident memory of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def user(agent: object, index: int, notes: list[Path], until: float, think: float,
               rng: random.Random, latencies: list[float], outcomes: Counter[str]) -> None:
    handle = agent.handle  # type: ignore[attr-defined]
    turn = 0
    while True:
        await asyncio.sleep(min(rng.expovariate(1 / think), max(0.0, until - time.monotonic())))
        if time.monotonic() >= until:
            return
        turn += 1
        if rng.random() < 0.3:
            note = rng.choice(notes)
            message = Message(channel_id=f"load:{index}", platform="web", author=f"u{index}",
                              user_id=f"web:user:{index}",
                              attachments=[Attachment(path=note, filename=note.name)])
        else:
            message = Message(channel_id=f"load:{index}", platform="web", author=f"u{index}",
                              user_id=f"web:user:{index}", text=rng.choice(TEXTS))
        start = time.perf_counter()
        reply = await handle(message)
        latencies.append(time.perf_counter() - start)
        outcomes[reply.error_code or "ok"] += 1


def start_workers(settings: Settings, count: int, logs: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(settings.data_dir),
           "AUDIOGPT_DATABASE_URL": settings.db_url, "AUDIOGPT_REDIS_URL": str(settings.redis_url),
           "AUDIOGPT_QUEUE_NAME": settings.queue_name}
    procs = []
    for i in range(count):
        with (logs / f"worker{i}.log").open("wb") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "bots.cli", "worker"], env=env,
                                          stdout=log, stderr=subprocess.STDOUT))
    for i in range(count):
        while b"worker ready" not in (logs / f"worker{i}.log").read_bytes():
            time.sleep(0.5)
    return procs


async def run(opts: argparse.Namespace, folder: Path) -> None:
    notes = [convert(espeak(text, folder / f"n{i}.wav"), folder / f"n{i}.ogg")
             for i, text in enumerate(SPOKEN)]
    db = opts.database_url or f"sqlite:///{folder / 'load.db'}"
    settings = Settings(_env_file=None, data_dir=folder / "data", database_url=db,  # type: ignore[call-arg]
                        redis_url=opts.redis, queue_name=f"audiogpt:load:{uuid.uuid4().hex[:6]}",
                        job_timeout=120, quota_user_jobs=10_000)
    workers = start_workers(settings, 2, folder) if opts.redis else []
    backends = BackendCache()
    if not opts.redis:
        backends.preload(["speech_recognition", "text_to_speech"])
    runtime = build_runtime(settings, backends=backends)
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()
    rng = random.Random(7)
    until = time.monotonic() + opts.minutes * 60
    peak = [rss_mib(os.getpid())]

    async def sample_memory() -> None:
        while time.monotonic() < until + 120:
            peak.append(rss_mib(os.getpid()) + sum(rss_mib(w.pid) for w in workers))
            await asyncio.sleep(1)

    sampler = asyncio.create_task(sample_memory())
    started = time.perf_counter()
    try:
        await asyncio.gather(*(user(runtime.agent, i, notes, until, opts.think,
                                    random.Random(rng.random()), latencies, outcomes)
                               for i in range(opts.users)))
        elapsed = time.perf_counter() - started
    finally:
        sampler.cancel()
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            proc.wait(timeout=60)
        await runtime.aclose()
    with Session(runtime.memory.engine) as s:
        rows = s.exec(select(MessageRecord)).all()
    asked = [m for m in rows if m.role == "user"]
    replies = Counter(m.reply_to for m in rows if m.role == "assistant")
    exactly_one = sum(1 for m in asked if replies[m.id] == 1)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))]

    mode = "arq, 2 workers" if opts.redis else "in-process"
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · {mode} · {opts.users} users · "
          f"{opts.minutes} min · think {opts.think:.0f} s")
    print(f"turns {len(latencies)} in {elapsed:.0f} s = {len(latencies) / elapsed:.2f}/s · "
          f"latency p50 {pct(.5):.2f} s p95 {pct(.95):.2f} s p99 {pct(.99):.2f} s max "
          f"{latencies[-1]:.2f} s · outcomes {dict(outcomes)}")
    print(f"messages stored {len(asked)}, with exactly one reply {exactly_one}; "
          f"peak RSS (bot + workers) {max(peak):.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--think", type=float, default=90.0, help="mean seconds between turns")
    parser.add_argument("--redis", default=None, help="a Redis URL: run jobs on 2 workers")
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="audiogpt-load-") as folder:
        asyncio.run(run(opts, Path(folder)))


if __name__ == "__main__":
    main()
