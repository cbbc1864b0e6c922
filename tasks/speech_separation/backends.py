"""The backends of speech_separation, best first."""

from __future__ import annotations

from models.base import Backend
from models.separation.sepformer import SepFormerWsj02Mix
from models.separation.voicefilter import VoiceFilter

BACKENDS: tuple[type[Backend], ...] = (SepFormerWsj02Mix, VoiceFilter)
