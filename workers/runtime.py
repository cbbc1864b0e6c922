"""The composition root: settings in, a ready agent with its memory, planner and runner out."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.memory import Memory
from core_agent.planning import Embedder, Planner
from core_agent.planning.factory import make_planner
from core_agent.preload import Preload
from media.encode import warm_encoder
from media.probe import probe
from models.binaural.sofa_hrtf import SofaHrtf
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from workers.runner import ArqRunner, InlineRunner

log = logging.getLogger(__name__)
INTERRUPTED = ("I was restarted while working on this, so it didn't finish. Your message is "
               "saved; please send it again.")
# Preloaded in the bot when it runs jobs itself: a voice note is heard, a reply is spoken.
FIRST_TURN_TASKS = ("speech_recognition", "text_to_speech")


@dataclass
class Runtime:
    """Everything a bot process needs, built once."""

    settings: Settings
    memory: Memory
    planner: Planner
    runner: InlineRunner | ArqRunner
    agent: Agent
    preload: Preload

    async def start(self) -> None:
        """Before serving: with in-process jobs this process owned every open turn, so any
        turn a crash left open is answered and closed (arq workers keep their own). The
        server starts `preload` once it listens."""
        if isinstance(self.runner, InlineRunner):
            closed = await self.memory.resolve_interrupted(INTERRUPTED)
            if closed:
                log.warning("closed %d turn(s) left open by a restart", closed)

    async def aclose(self) -> None:
        """Stop preloading, and release connections (Redis, the LLM client, the database
        pool)."""
        await asyncio.to_thread(self.preload.stop)
        await self.runner.aclose()
        closer = getattr(self.planner, "aclose", None)
        if closer is not None and inspect.iscoroutinefunction(closer):
            await closer()
        self.memory.engine.dispose()


def build_runtime(settings: Settings, *, embedder: Embedder | None = None,
                  backends: BackendCache | None = None) -> Runtime:
    """Memory (migrated), planner, runner (arq when Redis is set, else in-process), agent.

    A process that builds several runtimes (tests, benchmarks) can share loaded models.
    """
    SofaHrtf.check(ModelSettings.of(settings))  # a SOFA file the user named is refused now
    memory = open_memory(settings)
    runner: InlineRunner | ArqRunner = (
        ArqRunner(settings, memory) if settings.redis_url
        else InlineRunner(memory, settings, backends))
    planner = make_planner(settings, embedder or MiniLMEmbedder())
    agent = Agent(settings, memory, planner, runner, probe)
    return Runtime(settings, memory, planner, runner, agent, Preload(first_turn(planner, runner)))


def first_turn(planner: Planner, runner: InlineRunner | ArqRunner
               ) -> dict[str, Callable[[], object]]:
    """What the first turns need loaded: the planner's embedder and example bank, and, when
    jobs run in this process, the default speech recognition and speech models and the
    voice-note encoder."""
    loads: dict[str, Callable[[], object]] = {}
    prepare = getattr(planner, "prepare", None)  # the LLM planner has nothing to load
    if callable(prepare):
        loads["planner"] = prepare
    if isinstance(runner, InlineRunner):
        backends: BackendCache = runner.ctx["backends"]
        loads |= {task: partial(backends.preload, [task]) for task in FIRST_TURN_TASKS}
        loads["opus"] = warm_encoder
    return loads
