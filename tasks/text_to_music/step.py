"""How a worker runs text_to_music: as it runs text_to_audio, by its own generator."""

from __future__ import annotations

from tasks.text_to_audio.step import STEP

__all__ = ["STEP"]
