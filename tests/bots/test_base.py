"""The turn queue's guard: an error that escapes a turn is logged and answered."""

from __future__ import annotations

import logging

import pytest

from bots.base import SORRY, Turns
from core_agent.errors import AttachmentNotTaken, AudioGPTError, StorageError


@pytest.mark.parametrize(("error", "level", "said"), [
    (AttachmentNotTaken("clip.mp3 is 30.0 MB; the limit is 20 MB."), logging.INFO,
     "clip.mp3 is 30.0 MB; the limit is 20 MB."),
    (StorageError("I couldn't store that file (OSError)."), logging.WARNING,
     "I couldn't store that file (OSError)."),
])
async def test_an_error_of_ours_is_one_line_and_its_message(
        error: AudioGPTError, level: int, said: str, caplog: pytest.LogCaptureFixture) -> None:
    heard: list[str] = []

    async def say(text: str) -> None:
        heard.append(text)

    with caplog.at_level(logging.INFO, logger="bots.base"):
        async with Turns("web").apologising("t1", say):
            raise error
    (line,) = caplog.records
    assert (line.levelno, line.exc_info) == (level, None)
    assert line.getMessage() == f"web turn t1 ended with {error.code}: {said}"
    assert heard == [said]


async def test_a_bug_keeps_its_traceback_and_gets_the_apology(
        caplog: pytest.LogCaptureFixture) -> None:
    heard: list[str] = []

    async def say(text: str) -> None:
        heard.append(text)

    with caplog.at_level(logging.INFO, logger="bots.base"):
        async with Turns("web").apologising("t2", say):
            raise KeyError("missing")
    (line,) = caplog.records
    assert line.levelno == logging.ERROR and line.exc_info is not None
    assert "Traceback" in caplog.text and "KeyError: 'missing'" in caplog.text
    assert heard == [SORRY]
