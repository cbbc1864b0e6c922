"""A transcript longer than a platform's post arrives as a short head in the reply and the
whole of it, with times, as a .txt file: on Telegram's and Discord's stand-ins, with the real
SDKs, agent and tiny.en behind them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from telegram.constants import MessageLimit

from bots.discord.send import TEXT_LIMIT
from models.cache import BackendCache
from tests.bots.test_discord import GENERAL, attach, final, served
from tests.bots.test_telegram import ANA, PRIVATE, reply_count, running, voice
from tests.samples import long_recording, wer

LINE = re.compile(r"\[(\d+):(\d\d)–(\d+):(\d\d)\] (.+)")
CHARS_PER_MINUTE = 659  # of SENTENCES as long_recording speaks them with half-second pauses


def check_file(text: str, said: str, minutes: float) -> None:
    """Timed lines in order, within the recording, saying what was said."""
    lines = [LINE.fullmatch(line) for line in text.strip().splitlines()]
    assert lines and all(lines), text[:300]
    starts = [int(m[1]) * 60 + int(m[2]) for m in lines if m]
    assert starts == sorted(starts) and starts[-1] <= minutes * 60 + 1
    words = " ".join(m[5] for m in lines if m)
    assert wer(said, words) < 0.25


@pytest.mark.timeout(240)
async def test_telegram_gets_a_head_and_the_whole_transcript_as_txt(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    minutes = 1.15 * MessageLimit.MAX_TEXT_LENGTH / CHARS_PER_MINUTE
    path, said = long_recording(tmp_path, minutes, pause=0.5)
    async with running(tmp_path, embedder, backends) as tg:
        tg.api.push(tg.api.user_message(PRIVATE, ANA, "transcribe this",
                                        voice=voice(tg.api, path)))
        (document,) = await tg.api.wait_for("sendDocument", within=200)
        (text,) = await reply_count(tg.api, 1)
    upload = document.files["document"]
    assert upload.filename.endswith(".txt")
    whole = upload.data.decode("utf-8")
    assert len(whole) > MessageLimit.MAX_TEXT_LENGTH
    check_file(whole, said, minutes)
    reply = text.params["text"]
    assert len(reply) <= MessageLimit.MAX_TEXT_LENGTH and "…" in reply and "(file)" in reply
    assert reply.lstrip("“").startswith(whole.split("] ", 1)[1][:40])


@pytest.mark.timeout(240)
async def test_discord_gets_a_head_and_the_whole_transcript_as_txt(
        tmp_path: Path, embedder: Any, backends: BackendCache) -> None:
    minutes = 1.3 * TEXT_LIMIT / CHARS_PER_MINUTE
    path, said = long_recording(tmp_path, minutes, pause=0.5)
    async with served(tmp_path, embedder, backends) as discord_:
        api = discord_.api
        mention = api.payload("message_create_mention")  # "transcribe this", meeting.ogg
        attach(api, mention, path)
        await api.dispatch("MESSAGE_CREATE", mention)
        posts = f"/channels/{GENERAL}/messages"
        (answer,) = await api.wait_for("POST", posts, where=final, within=200)
    (file,) = answer.files
    assert file.filename.endswith(".txt")
    whole = file.data.decode("utf-8")
    assert len(whole) > TEXT_LIMIT
    check_file(whole, said, minutes)
    content = answer.body["content"]
    assert len(content) <= TEXT_LIMIT and "…" in content
    assert content.lstrip("“").startswith(whole.split("] ", 1)[1][:40])
