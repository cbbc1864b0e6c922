"""The backends of singing_synthesis, best first."""

from __future__ import annotations

from models.base import Backend
from models.singing.diffsinger import DiffSingerOnnx
from models.singing.world import WorldSinger

BACKENDS: tuple[type[Backend], ...] = (DiffSingerOnnx, WorldSinger)
