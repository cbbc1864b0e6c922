"""The backends of image_to_audio, best first."""

from __future__ import annotations

from models.base import Backend
from models.generation.blip_caption import BlipCaptioner

BACKENDS: tuple[type[Backend], ...] = (BlipCaptioner,)
