"""Running jobs: in this process, or through arq and Redis on separate workers.

Both runners take a job id, return once its record is final, and leave the outcome
in the database for the agent to read.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job as ArqJob

from core_agent.config import Settings
from core_agent.errors import JobLost
from core_agent.memory import Memory
from models.registry import BackendCache
from workers.jobs import require_installed, run_step

log = logging.getLogger(__name__)
POLL = 0.05  # seconds between result checks


class InlineRunner:
    """Runs jobs in this process, through the same job function the worker uses."""

    def __init__(self, memory: Memory, settings: Settings, backends: BackendCache | None = None
                 ) -> None:
        self.ctx: dict[str, Any] = {"memory": memory, "backends": backends or BackendCache()}
        self.timeout = settings.job_timeout

    def check(self, task: str) -> None:
        """Raise ModelNotInstalled if the task cannot run."""
        require_installed(task)

    async def run(self, job_id: str) -> None:
        """Run the job to its end, or give up after the job timeout."""
        try:
            await asyncio.wait_for(run_step(self.ctx, job_id), self.timeout)
        except TimeoutError as err:
            raise JobLost(
                f"The job took longer than {self.timeout:.0f} s and was stopped.") from err

    async def aclose(self) -> None:
        """Nothing to release."""


class ArqRunner:
    """Enqueues job ids on Redis for `audiogpt worker` processes and waits for them."""

    def __init__(self, settings: Settings) -> None:
        assert settings.redis_url
        self.redis_settings = RedisSettings.from_dsn(settings.redis_url)
        self.queue = settings.queue_name
        self.timeout = settings.job_timeout
        self._pool: ArqRedis | None = None

    def check(self, task: str) -> None:
        """Raise ModelNotInstalled if the task cannot run (workers share this install)."""
        require_installed(task)

    async def pool(self) -> ArqRedis:
        """The Redis pool, connected on first use."""
        if self._pool is None:
            self._pool = await create_pool(self.redis_settings, default_queue_name=self.queue)
        return self._pool

    async def run(self, job_id: str) -> None:
        """Enqueue (once: the job id is the arq id) and wait for the result."""
        pool = await self.pool()
        job = await pool.enqueue_job("run_step", job_id, _job_id=job_id, _queue_name=self.queue)
        job = job or ArqJob(job_id, pool, _queue_name=self.queue)
        try:
            await job.result(timeout=self.timeout, poll_delay=POLL)
        except TimeoutError as err:
            raise JobLost(
                f"No worker finished the job within {self.timeout:.0f} s; is `audiogpt worker` "
                "running?") from err
        except Exception:
            # The job function records its own failures; anything else was logged by arq.
            log.warning("job %s ended with an exception in the worker", job_id, exc_info=True)

    async def aclose(self) -> None:
        """Close the Redis pool."""
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
