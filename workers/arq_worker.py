"""The arq worker: `audiogpt worker` runs this. Models load once, in the background from
start-up; the worker takes jobs meanwhile."""

from __future__ import annotations

import logging
import threading
import time
from functools import partial
from typing import Any

from arq import func
from arq.connections import RedisSettings
from arq.worker import run_worker
from redis.exceptions import RedisError

from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.errors import SettingsError
from core_agent.metrics import MODELS
from core_agent.pace import PACE_FILE, Paces
from core_agent.preload import Preload
from media.encode import warm_encoder
from models.binaural.sofa_hrtf import SofaHrtf
from models.cache import BackendCache
from models.settings import ModelSettings
from workers.health import WorkerStatus, serve_health
from workers.jobs import asr_batcher, run_step, worker_timeout
from workers.queues import Resource, queue_name, resource_for, tasks_for

log = logging.getLogger(__name__)
MAX_TRIES = 3  # a job whose worker died is run again, up to this many times
RECONNECT_SECONDS = 2.0


class WrongQueue(SettingsError):
    """Tasks a worker was told to serve whose jobs go to another queue."""


def worker_settings(settings: Settings, backends: BackendCache, queue: str,
                    serving: threading.Event) -> dict[str, Any]:
    """Keyword settings for arq's Worker, bound to our settings, queue and models; `serving`
    is set once it takes jobs."""

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["memory"] = open_memory(settings)
        ctx["backends"] = backends
        ctx["asr_batcher"] = asr_batcher(settings)  # worker_max_jobs notes share a batch
        ctx["job_timeout"] = settings.job_timeout  # the job function stops a step at it
        ctx["paces"] = Paces(settings.cache_dir / PACE_FILE)  # what each job took
        serving.set()
        log.info("worker ready on queue %s", queue)

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "memory" in ctx:
            ctx["memory"].engine.dispose()

    assert settings.redis_url, "AUDIOGPT_REDIS_URL must be set to run a worker"
    return {
        "functions": [func(run_step, name="run_step", max_tries=MAX_TRIES)],
        "on_startup": startup,
        "on_shutdown": shutdown,
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": queue,
        "max_jobs": settings.worker_max_jobs,
        "job_timeout": worker_timeout(settings.job_timeout),  # a backstop behind ours
        "job_completion_wait": int(worker_timeout(settings.job_timeout)),  # SIGTERM drains
        "keep_result": 3600,
        "poll_delay": 0.1,
    }


def plan_worker(settings: Settings, resource: Resource | None, tasks: list[str] | None
                ) -> tuple[Resource, list[str]]:
    """The queue a worker serves and the tasks it preloads.

    Tasks alone pick their queue (they must share one); a queue alone serves all its tasks.
    WrongQueue if a named task's jobs go to another queue.
    """
    if tasks:
        by_task = {task: resource_for(task, settings) for task in tasks}
        resource = resource or by_task[tasks[0]]
        elsewhere = [f"{task} ({where})" for task, where in by_task.items() if where != resource]
        if elsewhere:
            raise WrongQueue(f"jobs of {', '.join(elsewhere)} go to another queue than "
                             f"{resource}; run one worker per queue")
        return resource, tasks
    resource = resource or Resource.CPU
    return resource, tasks_for(resource, settings)


def serve(settings: Settings, burst: bool = False, resource: Resource = Resource.CPU,
          tasks: list[str] | None = None) -> None:
    """Run a worker on one resource's queue until stopped (or, with burst, until the queue
    is empty), with the models of `tasks` (default: all the queue's tasks) loading in the
    background meanwhile: a job that needs one of them first waits for that load.

    A job of a task not preloaded still runs (its model loads then). arq's worker ends when
    its Redis connection breaks; it is started again (models stay loaded) until Redis is
    back. Jobs Redis lost are enqueued again by the waiting bot.
    """
    assert settings.redis_url, "AUDIOGPT_REDIS_URL must be set to run a worker"
    queue, tasks = queue_name(settings, resource), tasks or tasks_for(resource, settings)
    models = ModelSettings.of(settings)
    SofaHrtf.check(models)  # a SOFA file the user named is refused now, not at its first job
    backends = BackendCache(models, settings.model_memory_mb, MODELS)
    preload = Preload({**{task: partial(backends.preload, [task]) for task in tasks},
                       "opus": warm_encoder})
    status = WorkerStatus(settings.redis_url, queue, tasks, preload)
    health = None
    if settings.worker_metrics_port is not None:
        health = serve_health(status, settings.worker_metrics_host, settings.worker_metrics_port)
    log.info("serving %s on queue %s", ", ".join(tasks), queue)
    preload.start()
    try:
        while True:
            try:
                run_worker(type("WorkerSettings", (),  # type: ignore[arg-type]
                                worker_settings(settings, backends, queue, status.serving)),
                           burst=burst)
                return
            except (RedisError, OSError) as err:
                log.warning("Redis unavailable (%s); reconnecting in %.0f s",
                            type(err).__name__, RECONNECT_SECONDS)
                time.sleep(RECONNECT_SECONDS)
    finally:
        preload.stop()  # not exiting while a model loads on its thread
        if health is not None:
            health.shutdown()

