"""Running jobs: in this process, or through arq and Redis on separate workers.

Both runners take a job id, return once its record is final, and leave the outcome
in the database for the agent to read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job as ArqJob
from arq.jobs import JobStatus
from redis.exceptions import RedisError

from core_agent.config import Settings
from core_agent.errors import JobLost, QueueUnavailable
from core_agent.memory import Memory
from core_agent.metrics import MODELS
from core_agent.pace import PACE_FILE, Paces
from core_agent.types import Artifact
from models.cache import BackendCache
from models.settings import ModelSettings
from tasks.base import Args
from workers.jobs import asr_batcher, preflight, require_installed, run_step, worker_timeout
from workers.queues import Resource, queue_name, resource_for

log = logging.getLogger(__name__)
POLL = 0.05  # seconds between result checks
IN_PROGRESS_GRACE = 15.0  # s: arq's in-progress mark outlives its job timeout by 10 s
ENQUEUE_GRACE = 10.0  # s Redis may stay unreachable before a job that is not queued fails
HEALTH_TIMEOUT = 2.0  # seconds a health check waits for Redis
QUEUE_DOWN = ("The job queue is unavailable right now, so I couldn't start this. Your "
              "message is saved; please try again shortly.")


class InlineRunner:
    """Runs jobs in this process, through the same job function the worker uses."""

    def __init__(self, memory: Memory, settings: Settings, backends: BackendCache | None = None
                 ) -> None:
        self.ctx: dict[str, Any] = {"memory": memory, "backends": backends or BackendCache(
            ModelSettings.of(settings), settings.model_memory_mb, MODELS)}
        self.ctx["asr_batcher"] = asr_batcher(settings)
        self.ctx["job_timeout"] = settings.job_timeout  # the job function enforces it
        self.ctx["paces"] = Paces(settings.cache_dir / PACE_FILE)  # what each job took

    def check(self, task: str, language: str | None = None) -> None:
        """Raise ModelNotInstalled if the task cannot run (in this language)."""
        require_installed(task, self.ctx["backends"].settings, language)

    def preflight(self, task: str, args: Args, media: dict[str, Artifact]) -> None:
        """The step's check of its given files; raises what it refuses."""
        preflight(task, args, media)

    async def run(self, job_id: str) -> None:
        """Run the job to its end (a timed-out or cancelled step is stopped and recorded)."""
        await run_step(self.ctx, job_id)

    async def depths(self) -> dict[str, int]:
        """No queues: jobs run as they come."""
        return {}

    async def health(self) -> dict[str, bool]:
        """Nothing outside this process to depend on."""
        return {}

    async def aclose(self) -> None:
        """Nothing to release."""


class ArqRunner:
    """Enqueues job ids on Redis for `audiogpt worker` processes and waits for them.

    Each job goes to its resource's queue (GPU-class or CPU-class, see workers/queues.py),
    decided from the job's task and language as recorded in the database.
    """

    def __init__(self, settings: Settings, memory: Memory) -> None:
        assert settings.redis_url
        # No retries inside a connect: run() retries, and gives up on a queue that stays away.
        self.redis_settings = dataclasses.replace(RedisSettings.from_dsn(settings.redis_url),
                                                  conn_retries=0)
        self.settings, self.memory = settings, memory
        self.queues = {resource: queue_name(settings, resource) for resource in Resource}
        self.timeout = settings.job_timeout
        self.models = ModelSettings.of(settings)
        self._pool: ArqRedis | None = None

    def check(self, task: str, language: str | None = None) -> None:
        """Raise ModelNotInstalled if the task cannot run in this language (workers share
        this install)."""
        require_installed(task, self.models, language)

    def preflight(self, task: str, args: Args, media: dict[str, Artifact]) -> None:
        """The step's check of its given files, here before the job is queued."""
        preflight(task, args, media)

    async def pool(self) -> ArqRedis:
        """The Redis pool, connected on first use."""
        if self._pool is None:
            self._pool = await create_pool(self.redis_settings,
                                           default_queue_name=self.queues[Resource.CPU])
        return self._pool

    async def queue_for(self, job_id: str) -> str:
        """The queue of the job's resource class."""
        job = await self.memory.get_job(job_id)
        if job is None:
            return self.queues[Resource.CPU]  # the worker will report it missing
        language, voice = ((job.args or {}).get(key) for key in ("language", "voice"))
        resource = await asyncio.to_thread(
            resource_for, job.task, self.settings, language if isinstance(language, str) else None,
            voice if isinstance(voice, str) else None)
        return self.queues[resource]

    async def health(self) -> dict[str, bool]:
        """Whether Redis answers a ping."""
        try:
            pong = await asyncio.wait_for((await self.pool()).ping(), HEALTH_TIMEOUT)
        except (RedisError, OSError, TimeoutError):
            pong = False
        return {"redis": bool(pong)}

    async def depths(self) -> dict[str, int]:
        """Jobs waiting on each queue now; {} if Redis does not answer."""
        try:
            pool = await self.pool()
            return {queue: int(await pool.zcard(queue)) for queue in self.queues.values()}
        except (RedisError, OSError):
            return {}

    async def run(self, job_id: str) -> None:
        """Enqueue (once: the job id is the arq id) and wait until arq has its result.

        The wait covers one retry: a worker killed mid-job holds it until arq's in-progress
        mark expires (job timeout + 10 s), then another worker runs it again. A job Redis
        forgot (a restart without persistence) is enqueued again; the database record, not
        the queue, says whether it still has to run, and a finished job never runs twice.
        """
        queue = await self.queue_for(job_id)
        loop = asyncio.get_running_loop()
        wait = 2 * worker_timeout(self.timeout) + IN_PROGRESS_GRACE
        deadline = loop.time() + wait
        queued, away_since = False, None
        while loop.time() < deadline:
            try:
                pool = await self.pool()
                status = await ArqJob(job_id, pool, _queue_name=queue).status()
                if status == JobStatus.not_found:
                    await pool.enqueue_job("run_step", job_id, _job_id=job_id,
                                           _queue_name=queue)
                elif status == JobStatus.complete:
                    return
                queued, away_since = True, None
            except (RedisError, OSError) as err:  # Redis away: keep the turn, wait for it
                away_since = loop.time() if away_since is None else away_since
                if not queued and loop.time() - away_since >= ENQUEUE_GRACE:
                    log.warning("job %s: Redis unreachable for %.0f s; not queued", job_id,
                                ENQUEUE_GRACE)
                    raise QueueUnavailable(QUEUE_DOWN) from err
                log.warning("job %s: Redis unavailable (%s); waiting", job_id,
                            type(err).__name__)
                await asyncio.sleep(1.0)
            await asyncio.sleep(POLL)
        raise JobLost(f"No worker finished the job in {wait:.0f} s; is `audiogpt worker` "
                      "running?")

    async def aclose(self) -> None:
        """Close the Redis pool."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
