"""The arq worker: `audiogpt worker` runs this. Models load once, at start-up."""

from __future__ import annotations

import logging
from typing import Any

from arq import func
from arq.connections import RedisSettings
from arq.worker import run_worker

from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.tasks import TASKS
from models.registry import BackendCache
from workers.jobs import run_step

log = logging.getLogger(__name__)
MAX_TRIES = 3  # a job whose worker died is run again, up to this many times


def worker_settings(settings: Settings) -> dict[str, Any]:
    """Keyword settings for arq's Worker, bound to our settings."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["memory"] = open_memory(settings)
        ctx["backends"] = BackendCache()
        ctx["backends"].preload(list(TASKS))
        log.info("worker ready on queue %s", settings.queue_name)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "memory" in ctx:
            ctx["memory"].engine.dispose()

    assert settings.redis_url, "AUDIOGPT_REDIS_URL must be set to run a worker"
    return {
        "functions": [func(run_step, name="run_step", max_tries=MAX_TRIES)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": settings.job_timeout,
        "keep_result": 3600,
        "poll_delay": 0.1,
    }


def serve(settings: Settings, burst: bool = False) -> None:
    """Run a worker until stopped (or, with burst, until the queue is empty)."""
    run_worker(type("WorkerSettings", (), worker_settings(settings)), burst=burst)  # type: ignore[arg-type]
