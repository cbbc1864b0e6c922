"""Turn latency on the embedded models, and the orchestration overhead apart from them.

    .venv/bin/python -m bench.turn_latency [--channels 1 20] [--turns 3] [--voice-turns 5]
        [--planning-only]

0. Planning alone: the offline planner (MiniLM + cues) over the requests of
   tests/core_agent/planning/planner_cases.json, one at a time, after its example bank is embedded.
1. A 5-second voice note with no text ("read this aloud: ...") goes in; we time until
   its transcript and the spoken reply are stored (the paper's spoken dialogue), against
   the models' own time in the same turn (the floor), `--voice-turns` times.
2. Text turns ("read this aloud: ...") run at 1 and at N concurrent channels; for each
   turn, model time (ASR/TTS inference, measured inside the backends) is subtracted
   from the wall time, leaving the orchestration overhead: planning, database,
   enqueueing, artifact storage, encoding and delivery of the reply.
Prints the figures and the machine they ran on; record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core_agent.config import Settings
from core_agent.planning import PlanningContext
from core_agent.planning.offline.planner import OfflinePlanner
from core_agent.types import Attachment, Message
from media.probe import probe
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.core_agent.planning.test_offline import CASES, case_context
from tests.samples import convert, espeak
from workers.runtime import build_runtime

MODEL_METHODS = ("transcribe", "stream")  # a synthesizer's `synthesize` joins its `stream`
model_spans: ContextVar[list[tuple[float, float]]] = ContextVar("model_spans")  # perf_counter


class TimedBackends(BackendCache):
    """Loads the real backends and times their inference calls per turn."""

    def get(self, name: str) -> Any:
        backend = super().get(name)
        for method in MODEL_METHODS:
            inner = getattr(type(backend), method, None)
            if inner is not None and not hasattr(backend, f"_timed_{method}"):
                setattr(backend, f"_timed_{method}", True)
                setattr(backend, method, _timed(inner.__get__(backend)))
        return backend


def _timed(fn: Any) -> Any:
    """Note each call's start and end in the turn's own list (threads get a copy of the
    turn's context), and each step's of an iterator it returns (speech made a sentence at a
    time)."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            made = fn(*args, **kwargs)
        finally:
            model_spans.get().append((start, time.perf_counter()))
        return _timed_steps(made) if isinstance(made, Iterator) else made

    return wrapper


def _timed_steps(made: Iterator[Any]) -> Iterator[Any]:
    while True:
        start = time.perf_counter()
        try:
            piece = next(made)
        except StopIteration:
            return
        finally:
            model_spans.get().append((start, time.perf_counter()))
        yield piece


def spent(spans: list[tuple[float, float]], since: float = 0.0, until: float = float("inf")
          ) -> float:
    """Seconds the spans cover between `since` and `until`."""
    return sum(max(0.0, min(end, until) - max(start, since)) for start, end in spans)


async def planning() -> tuple[float, float, list[float]]:
    """Seconds to load MiniLM, to plan first (the example bank embedded), and to plan each
    case after that."""
    embedder = MiniLMEmbedder()
    start = time.perf_counter()
    embedder.embed(["load"])
    load = time.perf_counter() - start
    planner = OfflinePlanner(embedder)
    start = time.perf_counter()
    await planner.plan(PlanningContext(text="warm up"))
    first = time.perf_counter() - start
    seconds = []
    for case in CASES:
        context = case_context(case)
        start = time.perf_counter()
        await planner.plan(context)
        seconds.append(time.perf_counter() - start)
    return load, first, seconds


def five_second_note(folder: Path) -> Path:
    """A voice note of about five seconds asking for speech."""
    text = ("read this aloud: the quarterly review moved to thursday at noon, "
            "please bring your notes")
    wav = espeak(text, folder / "note.wav", speed=165)
    return convert(wav, folder / "note.ogg")


async def voice_turns(settings: Settings, backends: TimedBackends, note: Path, turns: int
                      ) -> list[dict[str, float]]:
    """Wall and model seconds of each voice turn, one at a time, each in a channel of its own."""
    sink: list[tuple[float, float]] = []
    model_spans.set(sink)
    runtime = build_runtime(settings, backends=backends)
    rows = []
    try:
        await runtime.agent.handle(Message(channel_id="bench:warm", text="read this aloud: hi"))
        for turn in range(turns):
            sink.clear()
            start = time.perf_counter()
            reply = await runtime.agent.handle(Message(
                channel_id=f"bench:voice:{turn}",
                attachments=[Attachment(path=note, filename="note.ogg")]))
            rows.append({"wall": time.perf_counter() - start, "model": spent(sink)})
            assert reply.error_code is None and reply.artifacts, reply.text
    finally:
        await runtime.aclose()
    return rows


async def text_turns(settings: Settings, backends: TimedBackends, channels: int, turns: int
                     ) -> list[dict[str, float]]:
    runtime = build_runtime(settings, backends=backends)

    async def one(channel: int, turn: int) -> dict[str, float]:
        sink: list[tuple[float, float]] = []
        model_spans.set(sink)
        start = time.perf_counter()
        reply = await runtime.agent.handle(Message(
            channel_id=f"bench:{channels}:{channel}",
            text=f"read this aloud: channel {channel} turn {turn} is ready"))
        wall = time.perf_counter() - start
        assert reply.error_code is None, reply.text
        return {"wall": wall, "model": spent(sink)}

    try:
        results = []
        for turn in range(turns):
            start = time.perf_counter()
            batch = await asyncio.gather(*(one(c, turn) for c in range(channels)))
            elapsed = time.perf_counter() - start
            results += [r | {"round": elapsed} for r in batch]
        return results
    finally:
        await runtime.aclose()


def cpu_model() -> str:
    """The processor's name, as the kernel reports it."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def pct(xs: list[float], p: float) -> float:
    """The p-quantile of sorted seconds, in ms."""
    return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000


def summary(rows: list[dict[str, float]]) -> str:
    walls = sorted(r["wall"] for r in rows)
    overhead = sorted(r["wall"] - r["model"] for r in rows)
    rounds = {r["round"] for r in rows}
    throughput = len(rows) / sum(rounds)
    return (f"turn p50 {pct(walls, .5):6.0f} ms  p95 {pct(walls, .95):6.0f} ms | beyond own "
            f"model time p50 {pct(overhead, .5):6.0f} ms  p95 {pct(overhead, .95):6.0f} ms | "
            f"{throughput:4.1f} turns/s")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--voice-turns", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--planning-only", action="store_true", help="skip the turns")
    opts = parser.parse_args()
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()}")
    load, first, plans = await planning()
    plans.sort()
    print(f"offline planning, {len(plans)} requests: mean {sum(plans) / len(plans) * 1000:.1f} ms"
          f", p50 {pct(plans, .5):.1f} ms, p95 {pct(plans, .95):.1f} ms, max "
          f"{plans[-1] * 1000:.1f} ms; MiniLM load {load:.1f} s, first plan (example bank "
          f"embedded) {first * 1000:.0f} ms")
    if opts.planning_only:
        return
    backends = TimedBackends()
    backends.preload(["speech_recognition", "text_to_speech"])  # load time is not turn time
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = Settings(_env_file=None, data_dir=folder / "data",  # type: ignore[call-arg]
                            database_url=opts.database_url)
        print(f"database: {settings.db_url.split(':')[0]} · jobs: in-process")
        note = five_second_note(folder)
        seconds = probe(note).duration or 0.0
        voices = await voice_turns(settings, backends, note, opts.voice_turns)
        ratios = sorted(v["wall"] / v["model"] for v in voices)
        wall, model = (statistics.median(v[k] for v in voices) for k in ("wall", "model"))
        print(f"voice note ({seconds:.1f} s) -> transcript + spoken reply, {len(voices)} turns: "
              f"median {wall * 1000:.0f} ms wall, {model * 1000:.0f} ms in models; wall / "
              f"models median x{statistics.median(ratios):.2f} (x{ratios[0]:.2f}-"
              f"x{ratios[-1]:.2f})")
        for n in opts.channels:
            rows = await text_turns(settings, backends, n, opts.turns)
            print(f"{n:>2} concurrent channel(s), {len(rows)} text turns: {summary(rows)}")


if __name__ == "__main__":
    asyncio.run(main())
