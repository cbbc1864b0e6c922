"""The backends of talking_head, best first."""

from __future__ import annotations

from models.base import Backend
from models.talking_head.cascade import CascadeTalkingHead
from models.talking_head.wav2lip import Wav2LipTalkingHead

BACKENDS: tuple[type[Backend], ...] = (Wav2LipTalkingHead, CascadeTalkingHead)
