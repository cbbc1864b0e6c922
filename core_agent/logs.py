"""Logging for every process: records carry the message and job they belong to, come out
as text or as one JSON object per line, and never carry a secret from the settings.

Secrets are masked wherever text leaves through logging: a record's message, its
formatted traceback (chained exceptions and the URLs in them included) and its stack.
Uncaught exceptions (the main thread's, other threads', those Python can only report as
"ignored") and warnings are routed through logging too, so they are masked the same way;
asyncio's loop reports its own through the "asyncio" logger already.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

from pydantic import SecretStr

from core_agent.config import Settings
from core_agent.errors import AudioGPTError

message_id: ContextVar[str | None] = ContextVar("message_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(message_id)s %(job_id)s]: %(message)s"
MASKED = "***"
MIN_SECRET_CHARS = 6  # shorter would mask common words
URL_SETTINGS = ("database_url", "redis_url", "openai_base_url", "s3_endpoint_url")
log = logging.getLogger(__name__)
_TRACEBACKS = logging.Formatter()  # formats exc_info as every standard formatter does


def _forms(secret: str) -> set[str]:
    """The ways a secret shows up in text: whole, URL-quoted, and a bot token's part after
    its public "<id>:" prefix (Telegram's)."""
    forms = {secret, quote(secret, safe="")}
    if ":" in secret:
        forms.add(secret.split(":", 1)[1])
    return {form for form in forms if len(form) >= MIN_SECRET_CHARS}


class Mask(logging.Filter):
    """Replaces secrets in a record's text: message, traceback and stack (on a handler:
    every record it writes; on a logger: every record logged there, whoever reads it)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        forms = {form for secret in secrets for form in _forms(secret)}
        self.secrets = sorted(forms, key=len, reverse=True)  # a longer form before its part

    def mask(self, text: str) -> str:
        """The text with every secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, MASKED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        try:
            text = record.getMessage()
        except Exception:  # a malformed call: the handler reports it, unformatted
            text = None
        if text is not None and (masked := self.mask(text)) != text:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)  # reused by formatters
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class Context(Mask):
    """Stamps each record with the current message and job ids, and masks secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.message_id = message_id.get() or "-"
        record.job_id = job_id.get() or "-"
        return super().filter(record)


class JsonLines(logging.Formatter):
    """One JSON object per record, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
            "message_id": getattr(record, "message_id", "-"),
            "job_id": getattr(record, "job_id", "-")}
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["error"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry)


def failure(logger: logging.Logger, err: Exception, what: str, *args: object) -> None:
    """Log the error that ended some work (`what`, %-style with `args`): one of ours as one
    line with its code (INFO when the user caused it, WARNING otherwise), anything else, a
    bug, as ERROR with its traceback."""
    if isinstance(err, AudioGPTError):
        level = logging.INFO if err.by_user else logging.WARNING
        logger.log(level, f"{what} ended with %s: %s", *args, err.code, err.message)
    else:
        logger.error(f"{what} failed unexpectedly", *args, exc_info=err)


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, as plain text, to keep out of the logs: the secret
    settings, and the passwords in URL settings."""
    values = [value.get_secret_value() for value in vars(settings).values()
              if isinstance(value, SecretStr) and value.get_secret_value()]
    for name in URL_SETTINGS:
        url = getattr(settings, name)
        if url and (password := urlsplit(url).password):
            values.append(password)
    return values


def configure(settings: Settings, verbose: bool = False) -> None:
    """Set up the root logger for a process (the CLI calls this once), and send what
    Python would print on its own through it."""
    handler = logging.StreamHandler()
    handler.addFilter(Context(secret_values(settings)))
    handler.setFormatter(JsonLines() if settings.log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler],
                        force=True)
    logging.captureWarnings(True)
    # Model loads draw tqdm bars on stderr (transformers' "Loading weights: 100%|…|"), which
    # land in a terminal chat's output and a server's log; read when transformers loads.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    sys.unraisablehook = _unraisable


def _uncaught(kind: type[BaseException], error: BaseException,
              traceback: TracebackType | None) -> None:
    log.critical("uncaught %s", kind.__name__, exc_info=(kind, error, traceback))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:  # how a thread ends itself, as Python's own hook sees it
        return
    name = args.thread.name if args.thread else "a thread"
    log.critical("uncaught %s in %s", args.exc_type.__name__, name, exc_info=args.exc_value)


def _unraisable(args: sys.UnraisableHookArgs) -> None:
    log.error("%s: %r", args.err_msg or "Exception ignored in", args.object,
              exc_info=args.exc_value)
