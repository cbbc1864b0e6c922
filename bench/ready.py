"""Start-up: how soon `audiogpt run` and `audiogpt worker` answer, how soon they are warm,
and whether a process's first turn is as quick as its later ones.

    .venv/bin/python -m bench.ready [--runs 3] [--busy 2] [--redis URL]

1. `audiogpt run` in a new data folder: seconds until it prints the web chat's address,
   until /healthz answers 200, and until /healthz says `ready` (the preload done).
2. With `--redis`, `audiogpt worker --queue cpu` (every CPU-class model preloaded): until
   its log says "worker ready", until its /healthz answers 200, and until `ready`.
3. In a fresh process per run: a text turn ("read this aloud: …") right after start-up, then
   the same again, with the preload (as `audiogpt run` does, the first turn sent once it is
   ready) and without it (models load in the first turn).
`--busy N` keeps N processes spinning on the cores meanwhile (a loaded machine).
Prints medians and the machine; record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.turn_latency import cpu_model
from tests.net import free_port, get

TURNS = """
import asyncio, sys, time
from core_agent.config import get_settings
from core_agent.types import Message
from workers.runtime import build_runtime

async def main() -> None:
    runtime = build_runtime(get_settings())
    if sys.argv[1] == "preload":
        runtime.preload.start()
        await asyncio.to_thread(runtime.preload.done.wait)
    for turn in range(2):
        started = time.perf_counter()
        reply = await runtime.agent.handle(Message(
            channel_id="cli:bench", text=f"read this aloud: turn {turn} is on its way"))
        assert reply.error_code is None, reply.text
        print(time.perf_counter() - started)
    await runtime.aclose()

asyncio.run(main())
"""


def spin() -> None:
    while True:
        pass


def until(check: Callable[[], bool], started: float, seconds: float = 120) -> float:
    """Seconds from `started` until `check()` is true."""
    while not check():
        if time.perf_counter() - started > seconds:
            raise TimeoutError("not ready in time")
        time.sleep(0.02)
    return time.perf_counter() - started


def health(port: int) -> tuple[int, dict[str, object]]:
    code, body = get(f"http://127.0.0.1:{port}/healthz")
    return code, json.loads(body) if code else {}


def timed_start(args: list[str], env: dict[str, str], log: Path, line: bytes, port: int
                ) -> tuple[float, float, float]:
    """Seconds to the line in its output, to /healthz 200, and to /healthz `ready`."""
    with log.open("wb") as sink:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bots.cli", *args], env=env,
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        said = until(lambda: line in log.read_bytes(), started)
        answers = until(lambda: health(port)[0] == 200, started)
        warm = until(lambda: health(port)[1].get("ready") is True, started)
        return said, answers, warm
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def show(label: str, rows: list[tuple[float, ...]], names: tuple[str, ...]) -> None:
    medians = [statistics.median(column) for column in zip(*rows, strict=True)]
    ranges = [f"{min(c):.2f}–{max(c):.2f}" for c in zip(*rows, strict=True)]
    print(f"{label}: " + ", ".join(f"{name} {m:.2f} s ({r})"
                                   for name, m, r in zip(names, medians, ranges, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="processes spinning meanwhile")
    parser.add_argument("--redis", default=None, help="also time `audiogpt worker` on it")
    opts = parser.parse_args()
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(opts.busy)]
    for spinner in spinners:
        spinner.start()
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · Python "
          f"{sys.version.split()[0]} · {opts.busy} busy processes · load "
          f"{os.getloadavg()[0]:.1f}")
    runs: dict[str, list[tuple[float, ...]]] = {"run": [], "worker": [], "preload": [],
                                                "lazy": []}
    try:
        for _ in range(opts.runs):
            with tempfile.TemporaryDirectory() as tmp:
                folder, port = Path(tmp), free_port()
                env = {**{k: v for k, v in os.environ.items() if k != "AUDIOGPT_REDIS_URL"},
                       "AUDIOGPT_DATA_DIR": str(folder / "data"), "AUDIOGPT_WEB_PORT": str(port)}
                runs["run"].append(timed_start(["run"], env, folder / "run.log",
                                               b"Web chat on", port))
                if opts.redis:
                    port = free_port()
                    worker_env = {**env, "AUDIOGPT_REDIS_URL": opts.redis,
                                  "AUDIOGPT_WORKER_METRICS_PORT": str(port),
                                  "AUDIOGPT_QUEUE_NAME": f"bench:{uuid.uuid4().hex[:6]}"}
                    runs["worker"].append(timed_start(["worker", "--queue", "cpu"], worker_env,
                                                      folder / "worker.log", b"worker ready",
                                                      port))
                for mode in ("preload", "lazy"):
                    done = subprocess.run([sys.executable, "-c", TURNS, mode], env=env,
                                          check=True, capture_output=True, text=True)
                    runs[mode].append(tuple(float(s) for s in done.stdout.split()))
    finally:
        for spinner in spinners:
            spinner.kill()
    starts = ("says its address / ready", "/healthz 200", "/healthz ready")
    show("audiogpt run", runs["run"], starts)
    if runs["worker"]:
        show("audiogpt worker --queue cpu", runs["worker"], starts)
    show("first turns, preloaded", runs["preload"], ("first", "second"))
    show("first turns, no preload", runs["lazy"], ("first", "second"))


if __name__ == "__main__":
    main()
