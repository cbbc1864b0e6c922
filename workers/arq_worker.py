"""The arq worker: `audiogpt worker` runs this. Models load once, at start-up."""

from __future__ import annotations

import logging
import time
from typing import Any

from arq import func
from arq.connections import RedisSettings
from arq.worker import run_worker
from redis.exceptions import RedisError

from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.tasks import TASKS
from models.registry import BackendCache
from workers.jobs import run_step

log = logging.getLogger(__name__)
MAX_TRIES = 3  # a job whose worker died is run again, up to this many times
RECONNECT_SECONDS = 2.0


def worker_settings(settings: Settings, backends: BackendCache) -> dict[str, Any]:
    """Keyword settings for arq's Worker, bound to our settings and loaded models."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["memory"] = open_memory(settings)
        ctx["backends"] = backends
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
        "job_completion_wait": int(settings.job_timeout),  # SIGTERM drains running jobs
        "keep_result": 3600,
        "poll_delay": 0.1,
    }


def serve(settings: Settings, burst: bool = False) -> None:
    """Run a worker until stopped (or, with burst, until the queue is empty).

    arq's worker ends when its Redis connection breaks; it is started again (models stay
    loaded) until Redis is back. Jobs Redis lost are enqueued again by the waiting bot.
    """
    backends = BackendCache(settings.models_dir)
    backends.preload(list(TASKS))
    while True:
        try:
            run_worker(type("WorkerSettings", (), worker_settings(settings, backends)),  # type: ignore[arg-type]
                       burst=burst)
            return
        except (RedisError, OSError) as err:
            log.warning("Redis unavailable (%s); reconnecting in %.0f s", type(err).__name__,
                        RECONNECT_SECONDS)
            time.sleep(RECONNECT_SECONDS)

