"""The neural catalog: `audiogpt models pull` against a local hub, and the pulled
checkpoint serving requests through the agent, with random weights from tests/neural/."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, select

from core_agent.tables import Job
from core_agent.types import Attachment, Message
from models.cache import BackendCache
from models.catalog.checkpoints import MANIFEST
from models.embeddings import MiniLMEmbedder
from models.settings import ModelSettings
from models.speech_recognition.whisper_turbo import WhisperTurbo
from models.translation.seamless import SeamlessTranslate
from models.translation.whisper import WhisperTranslate
from models.translation.whisper_base import WhisperBaseTranslate
from tests.conftest import make_settings
from tests.models.conftest import pull_models
from tests.neural.catalog import catalog_checkpoints
from tests.neural.speech_recognition import tiny_whisper_ct2
from tests.samples import voice_note
from tests.stand_ins.hub_server import HubStandIn
from workers.runtime import build_runtime

TOKEN = "hf_test_secret_token_value"
CLI = [sys.executable, "-m", "bots.cli"]


@pytest.fixture(scope="module")
def checkpoint() -> Path:
    return tiny_whisper_ct2()


@pytest.fixture
def hub(checkpoint: Path) -> Iterator[HubStandIn]:
    repos = {cls.entry.repo: checkpoint for cls in (WhisperTurbo, WhisperTranslate)}
    repos |= catalog_checkpoints()  # `pull all` fetches every catalog model
    with HubStandIn(repos) as server:
        yield server


def pull(task: str, hub: HubStandIn, data: Path) -> subprocess.CompletedProcess[str]:
    return pull_models(hub, data, task, HF_TOKEN=TOKEN)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_an_interrupted_pull_resumes_and_is_checked(hub: HubStandIn, checkpoint: Path,
                                                    tmp_path: Path) -> None:
    size = (checkpoint / "model.bin").stat().st_size
    hub.drop_after["model.bin"] = size // 3
    first = pull("speech_recognition", hub, tmp_path)
    folder = tmp_path / "models" / WhisperTurbo.entry.name
    assert first.returncode == 1 and "run the same command again to resume" in first.stderr
    assert not (folder / MANIFEST).exists()  # not installed: nothing half-made is used
    part = folder / "model.bin.part"
    assert part.stat().st_size == size // 3

    second = pull("speech_recognition", hub, tmp_path)
    assert second.returncode == 0, second.stderr
    ranges = [h.get("Range") for _, path, h in hub.requests if path.endswith("/model.bin")]
    assert ranges[-1] == f"bytes={size // 3}-"  # resumed, not restarted
    assert sha256(folder / "model.bin") == sha256(checkpoint / "model.bin")
    assert not part.exists()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["repo"] == WhisperTurbo.entry.repo
    assert set(manifest["files"]) == {p.name for p in checkpoint.iterdir()}

    # The token goes to the hub's API, never to the file host, and never to the terminal.
    for _, path, headers in hub.requests:
        sent = headers.get("Authorization")
        assert sent == (None if path.startswith("/cdn/") else f"Bearer {TOKEN}"), path
    assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_a_corrupt_download_is_refused_and_not_resumed(hub: HubStandIn, tmp_path: Path
                                                       ) -> None:
    hub.corrupt.add("model.bin")
    bad = pull("speech_recognition", hub, tmp_path)
    folder = tmp_path / "models" / WhisperTurbo.entry.name
    assert bad.returncode == 1 and "failed its checksum" in bad.stderr
    assert not (folder / "model.bin").exists() and not (folder / "model.bin.part").exists()
    assert not (folder / MANIFEST).exists()
    hub.corrupt.clear()
    assert pull("speech_recognition", hub, tmp_path).returncode == 0


def test_pull_says_clearly_what_it_cannot_do(hub: HubStandIn, tmp_path: Path) -> None:
    unknown = pull("make_coffee", hub, tmp_path)
    assert unknown.returncode == 2 and "no task 'make_coffee'" in unknown.stderr
    embedded_only = pull("mono_to_binaural", hub, tmp_path)
    assert embedded_only.returncode == 1 and "no neural-catalog model" in embedded_only.stderr
    missing = dict(hub.repos)
    hub.repos.clear()
    gone = pull("speech_recognition", hub, tmp_path)
    hub.repos.update(missing)
    assert gone.returncode == 1 and "the hub has no" in gone.stderr


async def test_a_pulled_checkpoint_serves_the_agent(
        hub: HubStandIn, tmp_path: Path, embedder: MiniLMEmbedder) -> None:
    data = tmp_path / "data"
    settings = make_settings(data)
    note = voice_note("the meeting starts after lunch today", tmp_path)
    cache = BackendCache(ModelSettings.of(settings))
    rt = build_runtime(settings, embedder=embedder, backends=cache)
    try:
        embedded = await rt.agent.handle(Message(  # Whisper base, before anything is pulled
            channel_id="cli:n", text="translate this into english",
            attachments=[Attachment(path=note, filename=note.name)]))
        assert embedded.error_code is None, embedded.text

        assert (await asyncio.to_thread(pull, "all", hub, data)).returncode == 0
        assert {WhisperTurbo.installed(ModelSettings.of(settings)),
                WhisperTranslate.installed(ModelSettings.of(settings))} == {True}
        translated = await rt.agent.handle(Message(
            channel_id="cli:n", text="translate a1 into english"))
        german = await rt.agent.handle(Message(
            channel_id="cli:n", text="transcribe a1, it is in german"))
        french = await rt.agent.handle(Message(
            channel_id="cli:n", text="translate a1 into french"))
    finally:
        await rt.aclose()
    assert translated.error_code is None, translated.text
    assert german.error_code is None, german.text
    assert french.error_code is None, french.text  # SeamlessM4T v2 writes French
    with Session(rt.memory.engine) as s:
        ran = {(j.task, j.backend, j.status) for j in s.exec(select(Job)).all()
               if j.purpose == "plan" and j.status == "done"}
    # Random weights say nothing useful; what is checked is which model ran, from where.
    assert ran == {("speech_translation", WhisperBaseTranslate.name, "done"),
                   ("speech_translation", WhisperTranslate.name, "done"),
                   ("speech_translation", SeamlessTranslate.name, "done"),
                   ("speech_recognition", WhisperTurbo.name, "done")}
    rows = await asyncio.to_thread(
        subprocess.run, [*CLI, "tasks", "--json"], capture_output=True, text=True,
        env={**os.environ, "AUDIOGPT_DATA_DIR": str(data)}, check=True)
    listed = {b["name"]: b["installed"] for row in json.loads(rows.stdout)
              for b in row["backends"]}
    assert listed[WhisperTurbo.name] and listed[WhisperTranslate.name]
