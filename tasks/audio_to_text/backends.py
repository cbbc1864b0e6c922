"""The backends of audio_to_text, best first."""

from __future__ import annotations

from models.base import Backend
from models.sound.event_caption import EventCaptioner
from models.sound.qwen_audio import QwenAudioCaptioner

BACKENDS: tuple[type[Backend], ...] = (QwenAudioCaptioner, EventCaptioner)
