"""The audio_edit family's base."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

from models.base import Backend


class FileEditor(Backend):
    """Edits that work file to file (ffmpeg)."""

    @abstractmethod
    def edit(self, source: Path, target_dir: Path, operation: str, **params: object) -> Path:
        """Apply one operation and return the new file."""
