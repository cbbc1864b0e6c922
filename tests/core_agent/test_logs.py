"""Log records name their turn and job, and settings' secrets are masked wherever they appear."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

from core_agent import logs
from tests.conftest import make_settings


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
