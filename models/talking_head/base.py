"""The talking_head family's base."""

from __future__ import annotations

from abc import abstractmethod
from pathlib import Path

from media.audio import Audio
from models.base import Backend


class TalkingHead(Backend):
    """talking_head."""

    @abstractmethod
    def render(self, picture: Path | None, audio: Audio, sound: Path, target: Path) -> Path:
        """An MP4 of the portrait (None: the default face) saying `audio`, whose file is
        `sound`, written to `target`."""
