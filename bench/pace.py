"""Seconds of work per second of media, per task with a seeded pace, on this machine.

    .venv/bin/python -m bench.pace [--minutes 1]

A recording of about `minutes` of espeak-ng speech goes through the real agent (offline
planner, jobs in-process, a throw-away data folder) for each task whose spec carries a
`pace` seed: "transcribe this", then "turn this into a talking head video". Each task runs
twice and the second job is the figure (the first loads the model); what the jobs took is
read back from the pace file the agent's estimates come from (core_agent/pace.py). Prints
the figures beside the seeds and the machine they ran on; record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
from pathlib import Path

from bench.turn_latency import cpu_model
from core_agent.config import Settings
from core_agent.pace import PACE_FILE
from core_agent.types import Attachment, Message
from tasks import TASKS
from tests.samples import long_recording
from workers.runtime import build_runtime

ASKED = {"speech_recognition": "transcribe this",
         "talking_head": "turn this into a talking head video"}


async def measure(minutes: float) -> dict[str, dict[str, float | str]]:
    """Per task: its backend, the measured seconds per second of media, and its seed."""
    with tempfile.TemporaryDirectory(prefix="audiogpt-bench-") as tmp:
        folder = Path(tmp)
        note, _ = long_recording(folder, minutes=minutes)
        settings = Settings(_env_file=None, data_dir=folder / "data")  # type: ignore[call-arg]
        runtime = build_runtime(settings)
        figures: dict[str, dict[str, float | str]] = {}
        try:
            for task, text in ASKED.items():
                rates = []
                for run in range(2):
                    reply = await runtime.agent.handle(Message(
                        channel_id=f"bench:{task}:{run}", text=text,
                        attachments=[Attachment(path=note, filename="note.ogg")]))
                    assert reply.error_code is None, reply.text
                    kept = json.loads((settings.cache_dir / PACE_FILE).read_text())[task]
                    rates.append(kept)
                    (settings.cache_dir / PACE_FILE).unlink()  # each run measured alone
                figures[task] = {"backend": str(rates[-1]["backend"]),
                                 "rate": float(rates[-1]["rate"]),
                                 "seed": TASKS[task].pace or 0.0}
        finally:
            await runtime.aclose()
        return figures


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    args = parser.parse_args()
    figures = asyncio.run(measure(args.minutes))
    print(f"machine: {cpu_model()} ({os.cpu_count()} cores), Python "
          f"{platform.python_version()}; about {args.minutes:g} min of speech")
    for task, row in figures.items():
        print(f"{task:20} {row['backend']:28} {row['rate']:.2f} s per s (seed {row['seed']})")


if __name__ == "__main__":
    main()
