"""Robustness: long chains, unsupported requests, backends made to fail by bad input, and
breaks in context, each a short conversation through the real agent and planner.

Every turn must end in a non-empty reply without an internal error. The last turn is
then held to its scenario's expectation:
- "done": steps ran and all finished (at least `min_steps`; with `uses_earlier`, a step
  reads a file the chat had before that turn);
- "no-run": nothing finished, and the reply explains (with `codes`, its error code is one
  of them; with `mentions`, it names all those words, e.g. the install command; with
  `mentions_any`, at least one, e.g. that the request is outside what it does).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from core_agent.agent import Agent
from core_agent.memory import Memory
from core_agent.types import HANDLE, Attachment, Message, Reply, StepStatus
from evaluation import Tick, quiet
from evaluation import signals as sig
from evaluation.capability import installed
from models.settings import ModelSettings

INTERNAL = "internal-error"


def load_scenarios() -> list[dict[str, Any]]:
    """The packaged robustness scenarios."""
    text = resources.files("evaluation").joinpath("data/robustness.json").read_text("utf-8")
    scenarios: list[dict[str, Any]] = json.loads(text)
    return scenarios


def _speech(folder: Path) -> Path:
    wav = sig.espeak("the package arrives on monday afternoon", folder / "speech.wav")
    return sig.to_ogg(wav, folder / "speech.ogg")


def _noisy(folder: Path) -> Path:
    clean = sig.espeak("please bring the quarterly report to the meeting", folder / "c.wav")
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(clean), "-f", "lavfi",
                    "-i", "anoisesrc=a=0.03:c=pink:d=60:seed=3", "-filter_complex",
                    "amix=inputs=2:duration=first:normalize=0", str(folder / "noisy.wav")],
                   check=True, timeout=60)
    return folder / "noisy.wav"


def _corrupt(folder: Path) -> Path:
    path = folder / "voice.ogg"
    path.write_bytes(b"OggS" + np.random.default_rng(3).bytes(4000))
    return path


def _blank(folder: Path) -> Path:
    import cv2

    path = folder / "wall.png"
    cv2.imwrite(str(path), np.full((240, 320, 3), 180, np.uint8))
    return path


MEDIA: dict[str, Callable[[Path], Path]] = {
    "speech": _speech,
    "noisy_speech": _noisy,
    "corrupt": _corrupt,
    "blank_image": _blank,
    "silence": lambda f: sig.write(np.zeros(3 * 16_000), 16_000, f / "silence.wav"),
    "hum": lambda f: sig.write(0.2 * np.sin(2 * np.pi * 50 * np.arange(32_000) / 16_000),
                               16_000, f / "hum.wav"),
}


def judge(reply: Reply, expect: dict[str, Any], earlier: set[str]) -> list[str]:
    """What is wrong with the last turn's reply (empty when it passes)."""
    problems = []
    done = [s for s in reply.steps if s.status == StepStatus.DONE]
    if expect["outcome"] == "done":
        if reply.error_code or len(done) != len(reply.steps) or not done:
            problems.append("expected every step done")
        if len(done) < expect.get("min_steps", 1):
            problems.append(f"expected at least {expect.get('min_steps', 1)} steps")
        used = {v for s in reply.steps for v in s.args.values()
                if isinstance(v, str) and HANDLE.match(v)}
        if expect.get("uses_earlier") and not used & earlier:
            problems.append("expected a step on a file from earlier in the chat")
    elif done:
        problems.append("expected nothing to run")
    if (codes := expect.get("codes")) and reply.error_code not in codes:
        problems.append(f"expected error code {' or '.join(codes)}, got {reply.error_code}")
    lower = reply.text.lower()
    problems += [f"reply should mention {w!r}" for w in expect.get("mentions", [])
                 if w.lower() not in lower]
    if (some := expect.get("mentions_any")) and not any(w.lower() in lower for w in some):
        problems.append(f"reply should say one of {', '.join(map(repr, some))}")
    return problems


async def run_scenario(agent: Agent, memory: Memory, scenario: dict[str, Any], index: int,
                       folder: Path) -> dict[str, Any]:
    """Play a scenario's turns in a fresh channel and judge them."""
    channel = f"eval:robustness:{index}"
    replies: list[Reply] = []
    problems: list[str] = []
    earlier: set[str] = set()
    started = time.perf_counter()
    for number, turn in enumerate(scenario["turns"], start=1):
        files = [MEDIA[name](folder) for name in turn.get("attach", [])]
        if number == len(scenario["turns"]):
            record = await memory.channel(channel, "eval")
            earlier = {a.handle for a in await memory.artifacts(record.id)}
        reply = await agent.handle(Message(
            channel_id=channel, text=turn["text"], platform="eval",
            attachments=[Attachment(path=p, filename=p.name) for p in files]))
        replies.append(reply)
        if reply.error_code == INTERNAL:
            problems.append(f"turn {number} crashed (internal error)")
        if not reply.text.strip():
            problems.append(f"turn {number} got an empty reply")
    problems += judge(replies[-1], scenario["expect"], earlier)
    last = replies[-1]
    return {"name": scenario["name"], "kind": scenario["kind"], "passed": not problems,
            "problems": problems, "seconds": round(time.perf_counter() - started, 2),
            "steps": [f"{s.task}:{s.status.value}" for s in last.steps],
            "error_code": last.error_code, "reply": last.text.strip()[:300]}


async def run_robustness(agent: Agent, memory: Memory, folder: Path,
                         models: ModelSettings, tick: Tick = quiet) -> dict[str, Any]:
    """Every scenario; one that needs a task left uninstalled is skipped where it is.
    `tick` hears the count done after each."""
    rows = []
    scenarios = load_scenarios()
    for index, scenario in enumerate(scenarios, start=1):
        missing = scenario.get("needs_missing")
        if missing and installed(missing, models)[0]:
            rows.append({"name": scenario["name"], "kind": scenario["kind"],
                         "passed": None, "problems": [f"{missing} is installed here"]})
        else:
            work = folder / f"scenario{index}"
            work.mkdir(parents=True, exist_ok=True)
            rows.append(await run_scenario(agent, memory, scenario, index, work))
        tick(index, len(scenarios))
    judged = [r for r in rows if r["passed"] is not None]
    kinds = list(dict.fromkeys(r["kind"] for r in judged))
    return {"scenarios": rows,
            "per_kind": {k: _rate([r for r in judged if r["kind"] == k]) for k in kinds},
            "overall": _rate(judged)}


def _rate(rows: list[dict[str, Any]]) -> dict[str, Any]:
    passed = sum(bool(r["passed"]) for r in rows)
    return {"scenarios": len(rows), "passed": passed,
            "pass_rate": passed / len(rows) if rows else 0.0}
