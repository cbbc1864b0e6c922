"""Queues by resource: GPU-class jobs and CPU-class jobs wait on separate arq queues.

A task is GPU-class when the backend that would serve it is a neural-catalog model (or the
operator lists it in AUDIOGPT_GPU_TASKS); the embedded tier is CPU-class. The bot enqueues
each job on its task's queue; each worker serves one queue and preloads the tasks it
declares.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import cast

from redis import Redis
from redis.exceptions import RedisError

from core_agent.config import Settings
from models.registry import usable_backends
from models.settings import ModelSettings
from tasks import TASKS

log = logging.getLogger(__name__)
REDIS_TIMEOUT = 1.0  # seconds a scrape waits for Redis


class Resource(StrEnum):
    """What a queue's jobs run on."""

    CPU = "cpu"
    GPU = "gpu"


def queue_name(settings: Settings, resource: Resource) -> str:
    """The arq queue of a resource class, e.g. "audiogpt:jobs:gpu"."""
    return f"{settings.queue_name}:{resource.value}"


def resource_for(task: str, settings: Settings, language: str | None = None,
                 voice: str | None = None) -> Resource:
    """Which queue a job of this task goes to: that of the backend that would serve it (the
    embedded tier's CPU queue when none is installed; loads nothing)."""
    if task in settings.gpu_tasks:
        return Resource.GPU
    usable = usable_backends(task, ModelSettings.of(settings), language, voice)
    return Resource.GPU if usable and usable[0].tier == "neural" else Resource.CPU


def tasks_for(resource: Resource, settings: Settings) -> list[str]:
    """The tasks whose jobs land on this resource's queue."""
    return [task for task in TASKS if resource_for(task, settings) == resource]


def parse_tasks(text: str) -> list[str]:
    """A worker's "--tasks a,b" as task ids; ValueError naming an unknown one."""
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [task for task in wanted if task not in TASKS]
    if unknown:
        raise ValueError(f"unknown task(s): {', '.join(unknown)}")
    return wanted


def queue_depths(redis_url: str, queues: list[str]) -> dict[str, int]:
    """Jobs waiting on each queue now (blocking; for a metrics scrape); {} if Redis is away."""
    client = Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT,
                            socket_connect_timeout=REDIS_TIMEOUT)
    try:
        return {queue: cast(int, client.zcard(queue)) for queue in queues}
    except (RedisError, OSError) as err:
        log.warning("queue depth unavailable: %s", type(err).__name__)
        return {}
    finally:
        client.close()
