"""The agent on the LLM planner, pointed at a local chat-completions stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from tests.stand_ins.openai_server import OpenAIStandIn
from workers.runtime import Runtime, build_runtime

LLM_KEY = "sk-test-NEVER-PRINT-4d1e"


@pytest.fixture
async def llm() -> AsyncIterator[OpenAIStandIn]:
    async with OpenAIStandIn() as server:
        yield server


@pytest.fixture
async def llm_runtime(llm: OpenAIStandIn, tmp_path: Path, embedder: MiniLMEmbedder,
                      backends: BackendCache) -> AsyncIterator[Runtime]:
    settings = make_settings(tmp_path / "data", openai_base_url=llm.url,
                             openai_api_key=LLM_KEY, llm_timeout=1.0, llm_max_retries=0)
    runtime = build_runtime(settings, embedder=embedder, backends=backends)
    yield runtime
    await runtime.aclose()
