"""The backends of target_sound_detection, best first."""

from __future__ import annotations

from models.base import Backend
from models.sound.clap import ClapTargetDetector
from models.sound.yamnet import YamnetTargetDetector

BACKENDS: tuple[type[Backend], ...] = (ClapTargetDetector, YamnetTargetDetector)
