"""Backends by task id, in order of preference, and a per-process cache of loaded ones."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from models.base import Backend
from models.binaural import SphericalHead
from models.errors import BackendUnavailable
from models.espeak_tts import EspeakNG
from models.faster_whisper_asr import FasterWhisperTinyEn
from models.ffmpeg_edit import FfmpegEdit
from models.lpc_inpaint import LpcInpaint
from models.piper_tts import PiperJoe
from models.singing import WorldSinger
from models.sound_caption import EventCaptioner
from models.sound_mask import YamnetMask
from models.spectral_gate import SpectralGate
from models.talking_head import CascadeTalkingHead
from models.voicefilter import VoiceFilter
from models.whisper_catalog import WhisperTranslate, WhisperTurbo
from models.world_style import WorldStyle
from models.yamnet import YamnetDetector, YamnetTargetDetector

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (WhisperTurbo, WhisperTranslate, FasterWhisperTinyEn, PiperJoe,
                              EspeakNG, SpectralGate, SphericalHead, WorldStyle, FfmpegEdit,
                              VoiceFilter)
} | {
    cls.name: cls for cls in (YamnetDetector, YamnetTargetDetector, YamnetMask, EventCaptioner,
                              LpcInpaint)
} | {cls.name: cls for cls in (WorldSinger, CascadeTalkingHead)}


def backends_for(task: str) -> list[type[Backend]]:
    """Every backend that serves a task, preferred first (neural before embedded)."""
    found = [cls for cls in BACKENDS.values() if cls.task == task]
    return sorted(found, key=lambda cls: cls.tier != "neural")


class BackendCache:
    """Loads each backend once per process and hands out the loaded instance."""

    def __init__(self, models_dir: Path | None = None) -> None:
        self.models_dir = models_dir  # where `audiogpt models pull` puts checkpoints
        self._loaded: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def for_task(self, task: str, language: str | None = None) -> Backend:
        """The first installed backend of a task that handles the language, loaded;
        BackendUnavailable if none."""
        for cls in backends_for(task):
            if cls.installed(self.models_dir) and cls.speaks(language):
                return self.get(cls.name)
        wanted = f"a {task} model for the language {language!r}" if language else \
            f"a model for {task}"
        raise BackendUnavailable(wanted, "audiogpt models pull " + task)

    def get(self, name: str) -> Backend:
        """A backend by name, loading it on first use."""
        with self._lock:
            if name not in self._loaded:
                cls = BACKENDS[name]
                backend = cls.create(self.models_dir)
                log.info("loading %s", cls.model)
                backend.load()
                self._loaded[name] = backend
            return self._loaded[name]

    def preload(self, tasks: list[str]) -> None:
        """Load the installed backends of these tasks now (worker start-up)."""
        for task in tasks:
            try:
                self.for_task(task)
            except BackendUnavailable:
                log.info("no installed backend for %s", task)
