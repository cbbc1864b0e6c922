"""Uploads beyond the limits are refused by content before anything is stored: pictures too
large to decode safely, unusual channel layouts and sample rates, overlong recordings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from core_agent.types import Attachment, Message
from tests.conftest import make_settings
from workers.runtime import Runtime, build_runtime


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def made(tmp_path: Path, name: str, *args: str) -> Path:
    path = tmp_path / name
    ffmpeg(*args, str(path))
    return path


@pytest.mark.parametrize(("name", "make", "expected"), [
    ("bomb.png", ("-f", "lavfi", "-i", "color=c=white:s=9000x5000", "-frames:v", "1"),
     "9000×5000 pixels; the limit is 40 megapixels"),
    ("session.wav", ("-f", "lavfi", "-i", "sine=f=440:d=0.5:r=8000", "-filter_complex",
                     "[0]asplit=12[a0][a1][a2][a3][a4][a5][a6][a7][a8][a9][a10][a11];"
                     "[a0][a1][a2][a3][a4][a5][a6][a7][a8][a9][a10][a11]amerge=inputs=12"),
     "12-channel audio at 8000 Hz; I take up to 8 channels"),
    ("bats.wav", ("-f", "lavfi", "-i", "sine=f=440:d=0.2:r=384000"),
     "1-channel audio at 384000 Hz; I take up to 8 channels at up to 192 kHz"),
    ("long.ogg", ("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "130", "-c:a", "libopus",
                  "-b:a", "6k"),
     "long.ogg: it runs longer than 2 minutes, the limit"),
], ids=["decompression-bomb", "too-many-channels", "too-high-rate", "too-long"])
async def test_refused_by_content_with_the_limit_named(
        tmp_path: Path, embedder: object, backends: object, name: str, make: tuple[str, ...],
        expected: str) -> None:
    upload = made(tmp_path, name, *make)
    settings = make_settings(tmp_path / "data", max_audio_seconds=120)
    runtime: Runtime = build_runtime(settings, embedder=embedder,  # type: ignore[arg-type]
                                     backends=backends)  # type: ignore[arg-type]
    try:
        reply = await runtime.agent.handle(Message(
            channel_id="cli:limits", text="what is this?",
            attachments=[Attachment(path=upload, filename=name)]))
        assert reply.error_code == "input-rejected" and expected in reply.text, reply.text
        assert name in reply.text
        assert await runtime.memory.artifacts("cli:limits") == []
    finally:
        await runtime.aclose()
