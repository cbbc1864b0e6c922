"""A Discord voice channel's wait: the end of a speaker's turn to the first audio played.

    .venv/bin/python -m bench.voice_channel [--turns 5] [--tails stop quiet]

The voice pipeline (`bots.discord.voice.VoicePipeline`) with the real agent on embedded
defaults is fed what Discord delivers: a spoken question (Piper speech, "what will the
weather be like tomorrow", which the offline planner declines in three sentences) as 20 ms
frames of 48 kHz stereo PCM, paced in real time, then either what a Discord client sends
when its speaker stops (`stop`: five Opus silence frames, decoded as the bot's sink decodes
them, then nothing) or quiet frames until the answer comes (`quiet`: a client still
transmitting). Each turn is timed from the last speech frame to the first Opus packet
queued for playback, split into the wait for the end of the turn (the pipeline's
END_SILENCE or IDLE_END) and the rest; the models' own time in that span (speech
recognition, planning, speech synthesis: timed inside the backends and the planner) is the
floor. One warm-up turn, then `--turns` turns, each in a channel of its own; medians.
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
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import discord
import numpy as np

from bench.turn_latency import TimedBackends, cpu_model, model_spans, spent
from bots.discord.voice import FRAME_SAMPLES, PCM_RATE, OpusFrames, Speaker, VoicePipeline
from core_agent.config import Settings
from core_agent.types import Reply
from tests.bots.test_discord_voice import frames
from workers.runtime import Runtime, build_runtime

QUESTION = "what will the weather be like tomorrow"
SPEAKER = Speaker(1400000000000000001, "Ana")
FRAME_SECONDS = FRAME_SAMPLES / PCM_RATE
SPEECH_RMS = 0.01  # a frame louder than this (-40 dBFS) is speech
OPUS_SILENCE = b"\xf8\xff\xfe"  # what a Discord client sends five of when its speaker stops
DISCORD_SILENCE_FRAMES = 5
QUIET_FOR = 10.0  # seconds of quiet frames at most, for the `quiet` tail
ANSWER_WITHIN = 120.0  # seconds
DRAIN = 0.3  # seconds for the pipeline to take the last frames before it is stopped (the
# pipeline before sentence-by-sentence replies lost a stop that came as a frame arrived)


class Recorded(asyncio.Queue[OpusFrames]):
    """The playback queue, noting when each part is queued."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    def put_nowait(self, item: OpusFrames) -> None:
        self.times.append(time.perf_counter())
        super().put_nowait(item)


def spoken_frames(backends: TimedBackends) -> tuple[list[bytes], int]:
    """The question as Discord's frames, and the index of its last speech frame."""
    model_spans.set([])
    said = frames(backends, QUESTION, silence=0.0)
    loud = [i for i, f in enumerate(said)
            if np.sqrt(np.mean((np.frombuffer(f, "<i2") / 32768) ** 2)) > SPEECH_RMS]
    return said, loud[-1]


def discord_silence() -> bytes:
    """An Opus silence frame as the bot's sink hands it on: decoded to PCM."""
    return discord.opus.Decoder().decode(OPUS_SILENCE, fec=False)


def timed_agent(runtime: Runtime, marks: dict[str, float]) -> None:
    """Note when the pipeline hands a turn to the agent, and time the planner."""
    agent, handle, plan = runtime.agent, runtime.agent.handle, runtime.agent.planner.plan

    async def handing(*args: Any, **kwargs: Any) -> Reply:
        marks["cut"] = time.perf_counter()
        return await handle(*args, **kwargs)

    async def planning(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return await plan(*args, **kwargs)
        finally:
            model_spans.get().append((start, time.perf_counter()))

    agent.handle = handing  # type: ignore[method-assign]
    agent.planner.plan = planning  # type: ignore[method-assign]


async def turn(runtime: Runtime, index: int, said: list[bytes], last: int, tail: str,
               marks: dict[str, float]) -> dict[str, float]:
    """One spoken question in a channel of its own, fed at Discord's pace; its timings."""
    spans: list[tuple[float, float]] = []
    model_spans.set(spans)  # before the pipeline's tasks copy the context
    answered: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def posted(_: Speaker, reply: Reply) -> None:
        assert reply.error_code is None, reply.text
        answered.set_result(time.perf_counter())

    playback = Recorded()
    pipeline = VoicePipeline(runtime.agent, f"discord:140000000000000{index:04d}",
                             ["discord:guild:1200000000000000001"], on_reply=posted,
                             playback=playback)
    listening = asyncio.create_task(pipeline.run())
    quiet, silence = bytes(len(said[0])), discord_silence()
    tail_frames = [silence] * DISCORD_SILENCE_FRAMES if tail == "stop" else \
        [quiet] * int(QUIET_FOR / FRAME_SECONDS)
    start, spoken_at = time.perf_counter(), 0.0
    for i, frame in enumerate([*said, *tail_frames]):
        if answered.done():
            break
        await asyncio.sleep(max(0.0, start + i * FRAME_SECONDS - time.perf_counter()))
        pipeline.feed(SPEAKER, frame)
        spoken_at = time.perf_counter() if i == last else spoken_at
    done = await asyncio.wait_for(answered, ANSWER_WITHIN)
    await asyncio.sleep(DRAIN)
    listening.cancel()
    await asyncio.gather(listening, return_exceptions=True)
    first = playback.times[0]
    return {"wait": marks["cut"] - spoken_at, "first": first - spoken_at,
            "model": spent(spans, spoken_at, first), "parts": len(playback.times),
            "done": done - spoken_at}


def median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument("--tails", nargs="+", choices=["stop", "quiet"], default=["stop", "quiet"])
    opts = parser.parse_args()
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()} · load average {os.getloadavg()[0]:.1f}")
    backends = TimedBackends()
    backends.preload(["speech_recognition", "text_to_speech"])  # load time is not turn time
    said, last = spoken_frames(backends)
    print(f"question: {len(said) * FRAME_SECONDS:.2f} s of frames, last speech frame "
          f"{last + 1}")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, data_dir=Path(tmp) / "data")  # type: ignore[call-arg]
        runtime = build_runtime(settings, backends=backends)
        marks: dict[str, float] = {}
        timed_agent(runtime, marks)
        try:
            await turn(runtime, 0, said, last, "stop", marks)  # warm-up
            for n, tail in enumerate(opts.tails):
                rows = [await turn(runtime, 1 + n * opts.turns + t, said, last, tail, marks)
                        for t in range(opts.turns)]
                first, model = median(rows, "first"), median(rows, "model")
                beyond = statistics.median(r["first"] - r["wait"] - r["model"] for r in rows)
                print(f"tail {tail}, {len(rows)} turns, {rows[0]['parts']:.0f} part(s) played: "
                      f"last speech frame -> first packet queued median {first * 1000:.0f} ms"
                      f" (range {min(r['first'] for r in rows) * 1000:.0f}-"
                      f"{max(r['first'] for r in rows) * 1000:.0f}); of which end-of-turn wait "
                      f"{median(rows, 'wait') * 1000:.0f} ms, in models {model * 1000:.0f} ms, "
                      f"the rest {beyond * 1000:.0f} ms; beyond the models "
                      f"{statistics.median(r['first'] - r['model'] for r in rows) * 1000:.0f}"
                      f" ms; reply complete {median(rows, 'done') * 1000:.0f} ms")
        finally:
            await runtime.aclose()
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    asyncio.run(main())
