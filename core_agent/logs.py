"""Logging for every process: records carry the message and job they belong to, come out
as text or as one JSON object per line, and never carry a secret from the settings."""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from core_agent.config import Settings

message_id: ContextVar[str | None] = ContextVar("message_id", default=None)
job_id: ContextVar[str | None] = ContextVar("job_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(message_id)s %(job_id)s]: %(message)s"


class Mask(logging.Filter):
    """Replaces secrets in a record's text (on a handler: every record it writes; on a
    logger: every record logged there, whoever reads it)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]  # shorter would mask common words

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            if any(secret in text for secret in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "***")
                record.msg, record.args = text, None
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
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def secret_values(settings: Settings) -> list[str]:
    """Every secret the settings hold, as plain text, to keep out of the logs."""
    return [value.get_secret_value() for value in vars(settings).values()
            if isinstance(value, SecretStr) and value.get_secret_value()]


def configure(settings: Settings, verbose: bool = False) -> None:
    """Set up the root logger for a process (the CLI calls this once)."""
    handler = logging.StreamHandler()
    handler.addFilter(Context(secret_values(settings)))
    handler.setFormatter(JsonLines() if settings.log_format == "json"
                         else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler],
                        force=True)
