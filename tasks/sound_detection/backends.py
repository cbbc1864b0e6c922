"""The backends of sound_detection, best first."""

from __future__ import annotations

from models.base import Backend
from models.sound.ast_audioset import AstDetector
from models.sound.yamnet import YamnetDetector

BACKENDS: tuple[type[Backend], ...] = (AstDetector, YamnetDetector)
