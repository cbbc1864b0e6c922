"""Throughput at many channels against the bare models' own throughput on the same cores.

    .venv/bin/python -m bench.throughput [--channels 20] [--turns 3] [--rounds 3]

The bot: `--channels` channels each send "read this aloud: ..." at once, `--turns` times
(jobs in-process, SQLite, the offline planner); every reply is a voice note. The floor: the
same texts through the models a turn runs and nothing else — the planner's embedding of
the request, then Piper speaking it — back to back in one thread and two at a time in two
threads, the better of the two. Bot and floor alternate `--rounds` times, so that a change
in the machine's load hits both; medians are printed with the range.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.turn_latency import cpu_model
from core_agent.config import Settings
from core_agent.types import Message
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.text_to_speech.base import Synthesizer
from workers.runtime import build_runtime

SAID = "channel {c} turn {t} is ready"


def texts(channels: int, turns: int) -> list[list[str]]:
    """What each round of turns says, channel by channel."""
    return [[SAID.format(c=c, t=t) for c in range(channels)] for t in range(turns)]


def floor(embedder: MiniLMEmbedder, tts: Synthesizer, said: list[str], threads: int
          ) -> tuple[float, float]:
    """Texts per second through the turn's models alone, `threads` at a time, and the
    process's CPU-seconds per text."""
    def one(text: str) -> None:
        embedder.embed([f"read this aloud: {text}"])
        tts.synthesize(text)

    started, cpu = time.perf_counter(), time.process_time()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, said))
    return len(said) / (time.perf_counter() - started), (time.process_time() - cpu) / len(said)


async def bot(settings: Settings, embedder: MiniLMEmbedder, backends: BackendCache,
              rounds: list[list[str]], tag: str) -> tuple[float, float]:
    """Turns per second through the whole bot, each round's channels at once, and the
    process's CPU-seconds per turn."""
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    try:
        await runtime.agent.handle(Message(channel_id="bench:warm", text="read this aloud: hi"))
        started, cpu = time.perf_counter(), time.process_time()
        for said in rounds:
            replies = await asyncio.gather(*(runtime.agent.handle(Message(
                channel_id=f"bench:{tag}:{c}", text=f"read this aloud: {text}"))
                for c, text in enumerate(said)))
            assert all(r.error_code is None and r.artifacts for r in replies)
        turns = sum(map(len, rounds))
        return turns / (time.perf_counter() - started), (time.process_time() - cpu) / turns
    finally:
        await runtime.aclose()


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · load average "
          f"{os.getloadavg()[0]:.1f}")
    embedder, backends = MiniLMEmbedder(), BackendCache()
    backends.preload(["text_to_speech"])
    tts = cast(Synthesizer, backends.for_task("text_to_speech"))
    rounds = texts(opts.channels, opts.turns)
    said = [text for batch in rounds for text in batch]
    floor(embedder, tts, said[:4], 1)  # the planner's bank and the voice warmed
    bare: list[tuple[float, float]] = []
    ours: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        for run in range(opts.rounds):
            bare.append(max(floor(embedder, tts, said, threads) for threads in (1, 2)))
            ours.append(await bot(settings, embedder, backends, rounds, f"{run}"))
    for what, index, unit in (("throughput", 0, "turns/s"), ("CPU per turn", 1, "s")):
        mine, theirs = [o[index] for o in ours], [b[index] for b in bare]
        ratio = [m / t for m, t in zip(mine, theirs, strict=True)]
        print(f"{what}: bot {spread(mine)} {unit}; bare models {spread(theirs)} {unit}; "
              f"bot ÷ bare {spread(ratio)}")
    print(f"{opts.channels} channels × {opts.turns} turns, {opts.rounds} rounds; load average "
          f"now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
