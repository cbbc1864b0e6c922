"""Log records name their turn and job, and settings' secrets are masked wherever they appear:
messages, tracebacks, stacks, and what Python prints of uncaught errors."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core_agent import logs
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]


def test_secrets_are_masked_and_ids_stamped(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, openai_api_key="sk-live-abcdef123456",
                             web_token="a-web-token-of-16+chars", log_format="json")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.Context(logs.secret_values(settings)))
    handler.setFormatter(logs.JsonLines())
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        token = logs.job_id.set("job42")
        logger.info("calling with key %s and %s", "sk-live-abcdef123456",
                    "a-web-token-of-16+chars")
        logs.job_id.reset(token)
        logger.info("after the job")
    finally:
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "calling with key *** and ***"
    assert (first["job_id"], second["job_id"], second["message_id"]) == ("job42", "-", "-")
    assert sorted(logs.secret_values(settings)) == ["a-web-token-of-16+chars",
                                                    "sk-live-abcdef123456"]


TOKEN = "654321:AAE-secret-part-of-the-token-0123"  # a Telegram bot token: "<id>:<secret>"
SECRET_PART = TOKEN.split(":", 1)[1]


def _refused() -> None:
    """A start that fails as python-telegram-bot's does: the token in the message, the
    URL carrying it in the chained cause."""
    try:
        raise ConnectionError(f"401 from https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError as err:
        raise RuntimeError(f"The token `{TOKEN}` was rejected (secret {SECRET_PART})") from err


@pytest.mark.parametrize("formatter", [logging.Formatter(logs.TEXT_FORMAT), logs.JsonLines()],
                         ids=["text", "json"])
def test_tracebacks_and_stacks_are_masked_in_every_format(tmp_path: Path,
                                                          formatter: logging.Formatter) -> None:
    settings = make_settings(tmp_path, telegram_bot_token=TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.Context(logs.secret_values(settings)))
    handler.setFormatter(formatter)
    logger = logging.getLogger("test.logs.tracebacks")
    logger.addHandler(handler)
    try:
        try:
            _refused()
        except RuntimeError:
            logger.exception("start failed", stack_info=True)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    if isinstance(formatter, logs.JsonLines):
        entry = json.loads(written)
        written = entry["error"] + entry["stack"]
    assert TOKEN not in written and SECRET_PART not in written
    assert "https://api.telegram.org/bot***/getMe" in written  # the chained cause is kept
    assert "The token `***` was rejected (secret ***)" in written
    assert "direct cause" in written and "test_tracebacks_and_stacks" in written  # the stack


def test_a_mask_on_a_logger_covers_every_handler_of_the_record(
        caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.logs.masked")
    mask = logs.Mask([TOKEN])
    logger.addFilter(mask)
    try:
        try:
            _refused()
        except RuntimeError:
            logger.exception("request to %s failed", f"/bot{TOKEN}/getMe")
    finally:
        logger.removeFilter(mask)
    assert TOKEN not in caplog.text and SECRET_PART not in caplog.text
    assert "request to /bot***/getMe failed" in caplog.text
    assert "ConnectionError: 401 from https://api.telegram.org/bot***/getMe" in caplog.text


def test_url_passwords_in_the_settings_are_secrets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url="postgresql://bot:pg-pass-1234@db/x",
                             redis_url="redis://:redis-pass-5678@cache:6379/0")
    assert sorted(logs.secret_values(settings)) == ["pg-pass-1234", "redis-pass-5678"]


# Everything Python prints on its own, in a process set up as every `audiogpt` command is.
UNCAUGHT = """
import asyncio, gc, os, threading, warnings
from bots.cli import _setup

_setup()
TOKEN = os.environ["TELEGRAM_BOT_TOKEN"]
SECRET_PART = TOKEN.split(":", 1)[1]

def in_thread() -> None:
    raise LookupError(f"a thread saw {TOKEN}")

thread = threading.Thread(target=in_thread, name="poller")
thread.start()
thread.join()

class Leaky:
    def __del__(self) -> None:
        raise ValueError(f"a finaliser saw {TOKEN}")

Leaky()
gc.collect()
warnings.warn(f"a warning about {TOKEN}")

def callback() -> None:
    raise ArithmeticError(f"a callback saw {TOKEN}")

async def main() -> None:
    asyncio.get_running_loop().call_soon(callback)  # the loop's exception handler reports it
    await asyncio.sleep(0.1)

asyncio.run(main())
try:  # uncaught in the main thread, as a refused token fails python-telegram-bot's start
    raise ConnectionError(f"401 from https://api.telegram.org/bot{TOKEN}/getMe")
except ConnectionError as err:
    raise RuntimeError(f"The token `{TOKEN}` was rejected (secret {SECRET_PART})") from err
"""


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_what_python_prints_uncaught_is_masked(tmp_path: Path, log_format: str) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": TOKEN, "AUDIOGPT_LOG_FORMAT": log_format,
           "AUDIOGPT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", UNCAUGHT], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-2000:]
    assert TOKEN not in output and SECRET_PART not in output, output[-2000:]
    for reported in ("LookupError: a thread saw ***", "ValueError: a finaliser saw ***",
                     "a warning about ***", "ArithmeticError: a callback saw ***",
                     "RuntimeError: The token `***` was rejected",
                     "https://api.telegram.org/bot***/getMe"):
        assert reported in output, output[-2000:]
    if log_format == "json":  # each report is one object, its traceback inside
        entries = [json.loads(line) for line in done.stderr.splitlines()]
        assert {e["level"] for e in entries} == {"CRITICAL", "ERROR", "WARNING"}
        assert all("Traceback" in e["error"] for e in entries if e["level"] != "WARNING")


LOADS_A_MODEL = """
import sys
from bots.cli import _setup
_setup()  # as every command starts, before any backend imports transformers
from transformers import BertConfig, BertModel
folder = sys.argv[1]
BertModel(BertConfig(hidden_size=8, num_hidden_layers=1, num_attention_heads=1,
                     intermediate_size=8, vocab_size=32)).save_pretrained(folder)
BertModel.from_pretrained(folder)
print("loaded")
"""


def test_model_loads_draw_no_progress_bars(tmp_path: Path) -> None:
    """transformers' "Loading weights: 100%|…|" bar went to stderr: into the terminal chat
    and the server's log."""
    env = {**os.environ, "AUDIOGPT_DATA_DIR": str(tmp_path / "data")}
    env.pop("HF_HUB_DISABLE_PROGRESS_BARS", None)
    done = subprocess.run([sys.executable, "-c", LOADS_A_MODEL, str(tmp_path / "bert")],
                          env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "loaded", done.stderr[-2000:]
    assert "Loading weights" not in done.stderr and "%|" not in done.stderr, done.stderr
