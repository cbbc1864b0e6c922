"""The backends of speech_recognition, best first."""

from __future__ import annotations

from models.base import Backend
from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
from models.speech_recognition.whisper_base import FasterWhisperBase
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from models.speech_recognition.whisper_turbo import WhisperTurbo

# openai-whisper's engine is for GPUs (torch's own CUDA); faster-whisper's for CPUs. Whisper
# base hands English to tiny.en itself; tiny.en alone serves where base isn't installed.
BACKENDS: tuple[type[Backend], ...] = (WhisperTurbo, OpenAIWhisperTurbo, FasterWhisperBase,
                                       FasterWhisperTinyEn)
