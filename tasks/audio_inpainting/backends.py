"""The backends of audio_inpainting, best first."""

from __future__ import annotations

from models.base import Backend
from models.inpainting.audioldm2 import AudioLdm2Inpaint
from models.inpainting.lpc import LpcInpaint

BACKENDS: tuple[type[Backend], ...] = (AudioLdm2Inpaint, LpcInpaint)
