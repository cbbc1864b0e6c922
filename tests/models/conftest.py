"""Neural-catalog tests: an agent whose models folder starts empty, and `audiogpt models
pull` run as users run it, against the hub stand-in."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from tests.conftest import make_settings
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import Runtime, build_runtime

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def empty_models(tmp_path: Path, embedder: MiniLMEmbedder) -> AsyncIterator[Runtime]:
    """A runtime with its own model cache (the session's shared one would hide a pull)."""
    settings = make_settings(tmp_path / "data")
    cache = BackendCache(ModelSettings.of(settings))
    rt = build_runtime(settings, embedder=embedder, backends=cache)
    try:
        yield rt
    finally:
        await rt.aclose()


def pull_models(hub: HubStandIn, data_dir: Path, *args: str, **env: str | None
                ) -> subprocess.CompletedProcess[str]:
    """`audiogpt models pull ARGS` in a subprocess; env values of None are unset."""
    environ = {**os.environ, "HF_ENDPOINT": hub.url, "COLUMNS": "200",
               "AUDIOGPT_DATA_DIR": str(data_dir)}
    for name, value in env.items():
        if value is None:
            environ.pop(name, None)
        else:
            environ[name] = value
    return subprocess.run([sys.executable, "-m", "bots.cli", "models", "pull", *args],
                          env=environ, capture_output=True, text=True, timeout=120, cwd=ROOT)


async def pull_async(hub: HubStandIn, runtime: Runtime, *args: str, **env: str | None
                     ) -> subprocess.CompletedProcess[str]:
    """pull_models into a runtime's data folder, off the event loop."""
    return await asyncio.to_thread(pull_models, hub, runtime.settings.data_dir, *args, **env)


@pytest.fixture
async def empty_runtime(tmp_path: Path, embedder: MiniLMEmbedder) -> AsyncIterator[Runtime]:
    """A runtime whose models folder starts empty, for a test to pull into."""
    async with empty_models(tmp_path, embedder) as rt:
        yield rt


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """For a module of tiny models, which are all overhead: threads only contend (several
    times slower on a busy machine)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
