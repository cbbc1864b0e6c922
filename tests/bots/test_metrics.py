"""The bot process's /healthz and /metrics, on the real web chat server, around real turns."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bots.web import WebChat
from core_agent.config import Settings
from core_agent.planning.offline.bank import examples
from core_agent.types import Message
from models.cache import BackendCache
from models.registry import usable_backends
from models.settings import ModelSettings
from tests.conftest import make_settings
from tests.net import free_port, get, sample
from workers.runtime import FIRST_TURN_TASKS, Runtime, build_runtime

TOKEN = "metrics-token-0123456789abcdef"


@asynccontextmanager
async def web_chat(settings: Settings, embedder: Any, backends: Any
                   ) -> AsyncIterator[tuple[Runtime, str]]:
    """The web chat serving on a free loopback port: its runtime and base URL."""
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    chat = WebChat(runtime.agent, settings, runtime.preload)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = asyncio.create_task(chat.serve([sock]))
    try:
        yield runtime, f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        chat.stop()
        await server
        await runtime.aclose()


async def test_metrics_move_with_real_turns_and_health_needs_no_token(
        tmp_path: Path, embedder: Any, backends: Any) -> None:
    settings = make_settings(tmp_path / "data", web_token=TOKEN)
    async with web_chat(settings, embedder, backends) as (runtime, base):
        code, health = await asyncio.to_thread(get, base + "/healthz")
        assert code == 200 and json.loads(health) == {  # its preload not started
            "ok": True, "database": True, "ready": False,
            "loading": ["planner", *FIRST_TURN_TASKS, "opus"]}
        assert (await asyncio.to_thread(get, base + "/metrics"))[0] == 401  # token required
        _, before = await asyncio.to_thread(get, base + "/metrics", TOKEN)
        spoken = await runtime.agent.handle(Message(
            channel_id="web:metrics", platform="web", text="read this aloud: good morning"))
        unsupported = await runtime.agent.handle(Message(  # no music model installed
            channel_id="web:metrics", platform="web", text="make some music with drums"))
        code, after = await asyncio.to_thread(get, base + "/metrics", TOKEN)
    assert spoken.error_code is None and unsupported.error_code == "model-not-installed"
    assert code == 200

    def moved(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert moved("audiogpt_turns_total", platform="web", outcome="ok") == 1
    assert moved("audiogpt_turns_total", platform="web", outcome="model-not-installed") == 1
    assert moved("audiogpt_turn_seconds_count", platform="web") == 2
    assert moved("audiogpt_jobs_total", task="text_to_speech", outcome="done") == 1
    assert moved("audiogpt_inference_seconds_count", task="text_to_speech",
                 backend="piper-joe") == 1
    assert moved("audiogpt_inference_seconds_sum", task="text_to_speech",
                 backend="piper-joe") > 0


class Loads:
    """Each backend the cache loads, in order."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def loaded(self, name: str, seconds: float, size: int) -> None:
        self.names.append(name)

    def evicted(self, name: str) -> None:
        return


class Counted:
    """The real embedder, recording how many texts each call embedded."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.calls = inner, list[int]()

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return np.asarray(self.inner.embed(texts))


async def test_health_is_ready_once_the_first_turns_models_loaded_each_once(
        tmp_path: Path, embedder: Any) -> None:
    settings = make_settings(tmp_path / "data")
    loads, counted = Loads(), Counted(embedder)
    async with web_chat(settings, counted, BackendCache(listener=loads)) as (runtime, base):
        code, health = await asyncio.to_thread(get, base + "/healthz")
        assert code == 200
        assert json.loads(health)["loading"] == ["planner", *FIRST_TURN_TASKS, "opus"]
        runtime.preload.start()  # as `audiogpt run` does once it listens
        reply = await runtime.agent.handle(Message(  # at once: it waits for the same loads
            channel_id="web:early", platform="web", text="read this aloud: good morning"))
        await asyncio.to_thread(runtime.preload.done.wait)
        code, health = await asyncio.to_thread(get, base + "/healthz")
    assert reply.error_code is None and reply.artifacts, reply.text
    assert code == 200 and json.loads(health) == {"ok": True, "database": True, "ready": True,
                                                  "loading": []}
    models = ModelSettings.of(settings)
    defaults = {usable_backends(task, models)[0].name for task in FIRST_TURN_TASKS}
    assert defaults <= set(loads.names)
    assert sorted(loads.names) == sorted(set(loads.names))  # none loaded twice
    assert counted.calls.count(len(examples()[1])) == 1  # the planner's bank embedded once


async def served_health(settings: Settings, embedder: Any, backends: Any
                        ) -> tuple[int, dict[str, Any], str]:
    """/healthz and the token-free /metrics of a web chat on these settings."""
    async with web_chat(settings, embedder, backends) as (_, base):
        code, health = await asyncio.to_thread(get, base + "/healthz")
        _, page = await asyncio.to_thread(get, base + "/metrics")
    return code, json.loads(health), page


@pytest.mark.redis
async def test_with_workers_health_covers_redis_and_metrics_show_the_queues(
        tmp_path: Path, embedder: Any, backends: Any, redis_url: str) -> None:
    queue = f"audiogpt:health:{uuid.uuid4().hex[:8]}"
    settings = make_settings(tmp_path / "up", redis_url=redis_url, queue_name=queue)
    code, health, page = await served_health(settings, embedder, backends)
    assert code == 200 and health == {"ok": True, "database": True, "redis": True,
                                      "ready": False, "loading": ["planner"]}  # no models here
    assert sample(page, "audiogpt_queue_depth", queue=f"{queue}:cpu") == 0
    assert sample(page, "audiogpt_queue_depth", queue=f"{queue}:gpu") == 0
    assert f'queue="{queue}:gpu"' in page
    down = make_settings(tmp_path / "down", redis_url=f"redis://127.0.0.1:{free_port()}/0")
    code, health, _ = await served_health(down, embedder, backends)
    assert code == 503 and health == {"ok": False, "database": True, "redis": False,
                                      "ready": False, "loading": ["planner"]}
