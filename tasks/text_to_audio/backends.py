"""The backends of text_to_audio, best first."""

from __future__ import annotations

from models.base import Backend
from models.generation.audioldm2 import AudioLdm2

BACKENDS: tuple[type[Backend], ...] = (AudioLdm2,)
