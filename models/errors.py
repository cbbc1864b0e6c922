"""The few errors `models/` raises; the worker maps the first three to the agent's coded
errors."""

from __future__ import annotations


class MediaError(ValueError):
    """A file that cannot be decoded or is not the media it should be."""


class BackendUnavailable(RuntimeError):
    """A backend's package or weights are missing."""

    def __init__(self, model: str, hint: str) -> None:
        super().__init__(f"{model} is not installed. Install it with: {hint}")
        self.model = model
        self.hint = hint


class Unsupported(ValueError):
    """A request the backend cannot serve (a language, a voice, a format)."""


class CheckpointMismatch(RuntimeError):
    """Checkpoint files that do not fit the hand-ported network meant to load them (or are
    not a checkpoint at all); the message says what is wrong."""
