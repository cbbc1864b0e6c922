"""The backends of text_to_music, best first."""

from __future__ import annotations

from models.base import Backend
from models.generation.musicgen import MusicGenSmall

BACKENDS: tuple[type[Backend], ...] = (MusicGenSmall,)
