"""Wall and CPU time of one `audiogpt ask` process, as a user at a terminal waits for it.

    .venv/bin/python -m bench.cli_start [--runs 5] [--root CHECKOUT]

Each run takes a new data folder: `ask "hi"` there first (cold: the database is created and
migrated, the planner's example bank embedded and kept), then again (warm), then
`ask --dry-run "read this aloud: hello there"`. With --root the commands run in another
checkout of the project (an older commit, for a before/after), with this interpreter.
Prints the figures and the machine they ran on; record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.turn_latency import cpu_model

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"ask 'hi', new data folder": ["ask", "hi"],
            "ask 'hi' again": ["ask", "hi"],
            "ask --dry-run 'read this aloud: hello there'":
                ["ask", "--dry-run", "read this aloud: hello there"]}


def timed(root: Path, data: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system) of one CLI process."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("AUDIOGPT_", "OPENAI_"))} | {"AUDIOGPT_DATA_DIR": str(data)}
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "bots.cli", *args], cwd=root, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run")
    opts = parser.parse_args()
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()} · load average {os.getloadavg()[0]:.1f} at the start")
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in COMMANDS}
    for _ in range(opts.runs):
        with tempfile.TemporaryDirectory() as data:
            for name, args in COMMANDS.items():
                figures[name].append(timed(opts.root, Path(data), args))
    for name, rows in figures.items():
        walls, cpus = sorted(w for w, _ in rows), sorted(c for _, c in rows)
        print(f"{name:48s} wall {walls[len(walls) // 2]:5.2f} s (min {walls[0]:.2f}, max "
              f"{walls[-1]:.2f}) · CPU {cpus[len(cpus) // 2]:5.2f} s (min {cpus[0]:.2f}, max "
              f"{cpus[-1]:.2f})")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
