"""How a job that ends in an error is logged: a user's mistake as one line, no traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from core_agent.types import Kind
from tests.workers.test_stop import CHANNEL, job_of
from workers.runtime import Runtime


async def test_a_picture_sent_for_transcription_is_one_log_line(
        runtime: Runtime, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    picture = tmp_path / "wall.png"
    cv2.imwrite(str(picture), np.full((120, 160, 3), 180, np.uint8))
    memory = runtime.memory
    await memory.channel(CHANNEL, "cli")
    message = await memory.add_message(CHANNEL, "user", "transcribe a1")
    image = await memory.add_artifact(CHANNEL, picture, kind=Kind.IMAGE, mime="image/png",
                                      producer="upload", message_id=message)
    job_id = await memory.add_job(CHANNEL, message, 1, "speech_recognition",
                                  {"audio": image.handle})
    with caplog.at_level(logging.INFO, logger="workers.jobs"):
        await runtime.runner.run(job_id)
    job, _ = job_of(memory, job_id)
    assert (job.status, job.error_code) == ("failed", "input-rejected")
    (line,) = [r for r in caplog.records if r.name == "workers.jobs"]  # not silent
    assert line.levelno == logging.INFO and not line.exc_info
    assert "ended with input-rejected" in line.getMessage() and image.handle in line.getMessage()
