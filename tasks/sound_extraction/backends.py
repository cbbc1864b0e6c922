"""The backends of sound_extraction, best first."""

from __future__ import annotations

from models.base import Backend
from models.sound.clap import ClapMask
from models.sound.yamnet import YamnetMask

BACKENDS: tuple[type[Backend], ...] = (ClapMask, YamnetMask)
