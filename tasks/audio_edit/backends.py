"""The backends of audio_edit, best first."""

from __future__ import annotations

from models.audio_edit.ffmpeg_edit import FfmpegEdit
from models.base import Backend

BACKENDS: tuple[type[Backend], ...] = (FfmpegEdit,)
