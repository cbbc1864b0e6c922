"""Run the selected parts of the evaluation against the configured (or chosen) planner."""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.planning import Planner
from core_agent.planning.factory import make_planner
from evaluation import Tick
from evaluation.capability import run_capability
from evaluation.consistency import run_consistency
from evaluation.heldout import run_heldout_sets
from evaluation.robustness import run_robustness
from media.probe import probe
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from tasks import TASKS
from workers.runner import InlineRunner

PARTS = ("consistency", "heldout", "capability", "robustness")


def parts_from(text: str) -> list[str]:
    """The parts named ("all", one, or several separated by commas), or ValueError."""
    names = [p.strip() for p in text.split(",") if p.strip()]
    if names == ["all"]:
        return list(PARTS)
    unknown = [p for p in names if p not in PARTS]
    if unknown or not names:
        raise ValueError(f"unknown part {', '.join(unknown) or text!r}: choose from "
                         f"{', '.join(PARTS)} or all")
    return names


def tasks_from(values: list[str] | None) -> list[str] | None:
    """Task ids from repeated, comma- or space-separated values, or ValueError."""
    names = [t for v in values or [] for t in v.replace(",", " ").split()]
    unknown = [t for t in names if t not in TASKS]
    if unknown:
        raise ValueError(f"unknown task {', '.join(unknown)}: `audiogpt tasks` lists them")
    return names or None


def eval_settings(settings: Settings, data_dir: Path, planner: str) -> Settings:
    """The user's settings with a throw-away database and media folder, jobs in this
    process, no spoken replies, and the chosen planner; installed models stay where
    they are."""
    update: dict[str, Any] = {"data_dir": data_dir, "database_url": None, "redis_url": None,
                              "model_dir": settings.models_dir, "voice_replies": False,
                              "allow": [], "admins": []}
    if planner != "auto":
        update["planner"] = planner
    return settings.model_copy(update=update)


def _machine() -> dict[str, Any]:
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "processor": platform.processor()}


async def evaluate(settings: Settings, parts: list[str], planner_kind: str,
                   tasks: list[str] | None, say: Callable[[str], None]) -> dict[str, Any]:
    """The result of every selected part, as one JSON-ready dict; `say` hears each part
    start and its count of cases done after each group of them."""
    with tempfile.TemporaryDirectory(prefix="audiogpt-eval-") as tmp:
        work = Path(tmp)
        settings = eval_settings(settings, work / "data", planner_kind)
        embedder = MiniLMEmbedder()
        planner: Planner = make_planner(settings, embedder)
        result: dict[str, Any] = {
            "version": 1, "created": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            "machine": _machine(), "parts": parts, "tasks": tasks,
            "planner": {"name": planner.name,
                        "model": settings.llm_model if planner.name == "llm" else None},
            "seconds": {}}
        backends = BackendCache(ModelSettings.of(settings))
        try:
            for part in parts:
                say(f"running {part}")
                started = time.perf_counter()
                tick = partial(_tick, say, part)
                if part == "consistency":
                    result[part] = await run_consistency(planner, tasks, tick)
                elif part == "heldout":
                    result[part] = await run_heldout_sets(planner)
                elif part == "capability":
                    folder = work / "capability"
                    folder.mkdir()
                    result[part] = await run_capability(settings, backends, folder, tasks,
                                                        tick)
                else:
                    result[part] = await _robustness(settings, planner, backends, work, tick)
                result["seconds"][part] = round(time.perf_counter() - started, 1)
        finally:
            closer = getattr(planner, "aclose", None)
            if closer is not None:
                await closer()
        return result


def _tick(say: Callable[[str], None], part: str, done: int, total: int) -> None:
    say(f"{part} {done}/{total}")


async def _robustness(settings: Settings, planner: Planner, backends: BackendCache,
                      work: Path, tick: Tick) -> dict[str, Any]:
    memory = open_memory(settings)
    agent = Agent(settings, memory, planner, InlineRunner(memory, settings, backends), probe)
    folder = work / "robustness"
    folder.mkdir()
    try:
        return await run_robustness(agent, memory, folder, backends.settings, tick)
    finally:
        memory.engine.dispose()


def default_out() -> Path:
    """./eval-<timestamp>."""
    return Path(f"eval-{datetime.now().strftime('%Y%m%d-%H%M%S')}")
