"""What the bot can do and what is installed: `audiogpt tasks` and the web chat's tasks panel."""

from __future__ import annotations

from typing import Any

from models.registry import backends_for
from models.settings import ModelSettings
from tasks import TASKS


def task_rows(settings: ModelSettings) -> list[dict[str, Any]]:
    """Every task with its backends, each saying whether it is installed and how to install it."""
    return [{"task": t, "title": spec.title, "backends": [
        {"name": b.name, "model": b.model, "tier": b.tier, "license": b.license,
         "installed": b.installed(settings), "install": b.install_hint}
        for b in backends_for(t)]} for t, spec in TASKS.items()]
