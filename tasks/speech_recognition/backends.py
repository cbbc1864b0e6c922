"""The backends of speech_recognition, best first."""

from __future__ import annotations

from models.base import Backend
from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from models.speech_recognition.whisper_turbo import WhisperTurbo

# openai-whisper's engine is for GPUs (torch's own CUDA); faster-whisper's for CPUs.
BACKENDS: tuple[type[Backend], ...] = (WhisperTurbo, OpenAIWhisperTurbo, FasterWhisperTinyEn)
