"""The backends of style_transfer, best first."""

from __future__ import annotations

from models.base import Backend
from models.style_transfer.csm import CsmVoiceClone
from models.style_transfer.world import WorldStyle

BACKENDS: tuple[type[Backend], ...] = (CsmVoiceClone, WorldStyle)
