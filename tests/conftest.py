"""Shared fixtures: settings kept apart from the developer's .env, SQLite and PostgreSQL
databases, Redis queues, shared models, and a runtime per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

for name in list(os.environ):
    if name.startswith(("AUDIOGPT_", "OPENAI_", "TELEGRAM_", "SLACK_", "DISCORD_")):
        del os.environ[name]
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"

from core_agent.config import Settings  # noqa: E402
from media import ffmpeg, pcm  # noqa: E402
from media.probe import WRITTEN  # noqa: E402
from models.cache import BackendCache  # noqa: E402
from models.embeddings import MiniLMEmbedder  # noqa: E402
from workers.runtime import Runtime, build_runtime  # noqa: E402

POSTGRES_ADMIN = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


MEASURED: list[str] = []


def report(*lines: str) -> None:
    """Keep a measured figure for the summary at the end of the test run."""
    MEASURED.extend(lines)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what the tests measured (planner accuracy, word error rates)."""
    if MEASURED:
        terminalreporter.section("measured")
        for line in MEASURED:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def embedder() -> MiniLMEmbedder:
    """The packaged sentence model, loaded once per test session."""
    return MiniLMEmbedder()


@pytest.fixture(scope="session")
def backends() -> BackendCache:
    """Embedded models, each loaded once per test session."""
    return BackendCache()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"audiogpt_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return str(request.getfixturevalue("postgres_url"))


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: nothing from the environment or a .env file."""
    return Settings(_env_file=None, data_dir=data_dir, **overrides)  # type: ignore[call-arg]


@pytest.fixture
def ffmpeg_children(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every ffmpeg or ffprobe child started meanwhile, by program name; the memos of decoded
    samples (media/pcm.py) and of files we wrote (media/probe.py) start empty."""
    started: list[str] = []
    real_run = ffmpeg.run

    def run(args: list[str], *rest: Any, **named: Any) -> tuple[bytes, str]:
        started.append(Path(args[0]).name)
        return real_run(args, *rest, **named)

    monkeypatch.setattr(ffmpeg, "run", run)
    pcm.MEMO.clear()
    WRITTEN.clear()
    yield started
    pcm.MEMO.clear()
    WRITTEN.clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults in a temporary data folder (SQLite, in-process, offline planner)."""
    return make_settings(tmp_path / "data")


@pytest.fixture
async def runtime(settings: Settings, embedder: MiniLMEmbedder, backends: BackendCache
                  ) -> AsyncIterator[Runtime]:
    """A ready agent on the test's settings, sharing the session's loaded models."""
    rt = build_runtime(settings, embedder=embedder, backends=backends)
    yield rt
    await rt.aclose()


@pytest.fixture
def redis_url() -> str:
    """The Redis server the tests use."""
    return REDIS_URL
