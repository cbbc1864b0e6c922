"""Media in an S3-compatible bucket, against a real one (moto's server) on loopback: a bot
and a worker on different machines (two data folders, one database, one bucket)."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from core_agent.config import Settings
from core_agent.errors import StorageError
from core_agent.storage import open_storage
from core_agent.types import Kind, StepStatus
from models.cache import BackendCache
from models.embeddings import MiniLMEmbedder
from tests.conftest import make_settings
from tests.net import free_port
from tests.samples import voice_note, wer
from workers.runtime import Runtime, build_runtime

BUCKET = "audiogpt-media"
PREFIX = "prod"
SECRET = "moto-secret-NEVER-PRINT-7c2a"
SPOKEN = "the package arrives on monday afternoon"
SERVER_START = 30.0  # seconds



@pytest.fixture
def s3_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A moto S3 server on a free loopback port, with one empty bucket; stopped afterwards."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "moto-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                               "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + SERVER_START
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def keys(url: str, prefix: str = "") -> set[str]:
    pages = boto3.client("s3", endpoint_url=url).get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def s3_settings(data_dir: Path, database: Path, url: str, **overrides: Any) -> Settings:
    return make_settings(data_dir, database_url=f"sqlite:///{database}", s3_bucket=BUCKET,
                         s3_endpoint_url=url, s3_prefix=PREFIX, **overrides)


@pytest.fixture
async def machines(s3_url: str, tmp_path: Path, embedder: MiniLMEmbedder,
                   backends: BackendCache) -> AsyncIterator[tuple[Runtime, Runtime]]:
    """A bot's runtime and a worker's, each with its own data folder."""
    database = tmp_path / "shared.db"
    bot = build_runtime(s3_settings(tmp_path / "bot", database, s3_url),
                        embedder=embedder, backends=backends)
    worker = build_runtime(s3_settings(tmp_path / "worker", database, s3_url),
                           embedder=embedder, backends=backends)
    yield bot, worker
    await bot.aclose()
    await worker.aclose()


async def run_job(runtime: Runtime, message_id: str, step: int, task: str,
                  args: dict[str, Any]) -> dict[str, Any]:
    job_id = await runtime.memory.add_job("web:s3", message_id, step, task, args)
    await runtime.runner.run(job_id)
    job = await runtime.memory.get_job(job_id)
    assert job is not None and job.status == StepStatus.DONE, job and job.error
    return job.outputs or {}


async def test_bot_and_worker_share_media_through_the_bucket(
        machines: tuple[Runtime, Runtime], s3_url: str, tmp_path: Path) -> None:
    bot, worker = machines
    folder = bot.memory.channel_dir("web:s3").name
    await bot.memory.channel("web:s3", "web")
    message = await bot.memory.add_message("web:s3", "user", "clean this up")
    upload = await bot.memory.add_artifact(
        "web:s3", voice_note(SPOKEN, tmp_path), kind=Kind.AUDIO, mime="audio/ogg",
        producer="upload", message_id=message)
    assert keys(s3_url) == {f"{PREFIX}/{folder}/a1.ogg"}
    assert not (worker.settings.media_dir / folder / "a1.ogg").exists()

    # The worker fetches the upload from the bucket and stores its output there.
    made = (await run_job(worker, message, 1, "speech_enhancement", {"audio": "a1"}))
    (cleaned,) = made["artifacts"]
    (stored,) = keys(s3_url, f"{PREFIX}/{folder}/{cleaned}.")
    fetched = worker.settings.media_dir / folder / "a1.ogg"
    assert fetched.read_bytes() == upload.path.read_bytes()

    # The bot reads the worker's output: transcribed in its own process, and served.
    local = bot.settings.media_dir / stored.removeprefix(f"{PREFIX}/")
    assert not local.exists()
    heard = await run_job(bot, message, 2, "speech_recognition", {"audio": cleaned})
    assert wer(SPOKEN, heard["text"]) < 0.2, heard["text"]
    output = await bot.memory.artifact("web:s3", cleaned)
    assert output is not None and output.path == local
    assert local.read_bytes() == (worker.settings.media_dir / local.relative_to(
        bot.settings.media_dir)).read_bytes()

    # Forgetting the chat empties its prefix in the bucket and both caches' folders there.
    await bot.memory.forget("web:s3")
    assert keys(s3_url, f"{PREFIX}/{folder}/") == set()
    assert not (bot.settings.media_dir / folder).exists()
    assert await worker.memory.artifact("web:s3", cleaned) is None


async def test_a_deleted_object_is_a_storage_error(machines: tuple[Runtime, Runtime],
                                                   s3_url: str, tmp_path: Path) -> None:
    bot, worker = machines
    await bot.memory.channel("web:s3", "web")
    note = tmp_path / "n.txt"
    note.write_text("hello")
    await bot.memory.add_artifact("web:s3", note, kind=Kind.TEXT, mime="text/plain",
                                  producer="upload")
    boto3.client("s3", endpoint_url=s3_url).delete_object(
        Bucket=BUCKET, Key=f"{PREFIX}/{bot.memory.channel_dir('web:s3').name}/a1.txt")
    with pytest.raises(StorageError) as err:
        await worker.memory.artifact("web:s3", "a1")
    assert err.value.code == "storage-failed"
    assert await worker.memory.artifact("web:s3", "a1", fetch=False) is not None


def test_a_bad_endpoint_or_bucket_fails_at_start(s3_url: str, tmp_path: Path) -> None:
    unused = f"http://127.0.0.1:{free_port()}"
    for url, bucket in ((unused, BUCKET), (s3_url, "no-such-bucket")):
        settings = make_settings(tmp_path, s3_bucket=bucket, s3_endpoint_url=url)
        with pytest.raises(StorageError, match=r"Media storage s3://.* can't be used") as err:
            open_storage(settings)
        assert err.value.code == "storage-unreachable"
        assert url in err.value.message and SECRET not in err.value.message
