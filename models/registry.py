"""Backends by task id, in order of preference, and a per-process cache of loaded ones."""

from __future__ import annotations

import logging
import threading

from models.base import Backend
from models.binaural import SphericalHead
from models.errors import BackendUnavailable
from models.espeak_tts import EspeakNG
from models.faster_whisper_asr import FasterWhisperTinyEn
from models.ffmpeg_edit import FfmpegEdit
from models.piper_tts import PiperJoe
from models.spectral_gate import SpectralGate
from models.world_style import WorldStyle

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (FasterWhisperTinyEn, PiperJoe, EspeakNG, SpectralGate,
                              SphericalHead, WorldStyle, FfmpegEdit)
}


def backends_for(task: str) -> list[type[Backend]]:
    """Every backend that serves a task, preferred first (neural before embedded)."""
    found = [cls for cls in BACKENDS.values() if cls.task == task]
    return sorted(found, key=lambda cls: cls.tier != "neural")


class BackendCache:
    """Loads each backend once per process and hands out the loaded instance."""

    def __init__(self) -> None:
        self._loaded: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def for_task(self, task: str, language: str | None = None) -> Backend:
        """The first installed backend of a task that handles the language, loaded;
        BackendUnavailable if none."""
        for cls in backends_for(task):
            if cls.installed() and cls.speaks(language):
                return self.get(cls.name)
        wanted = f"a {task} model for the language {language!r}" if language else \
            f"a model for {task}"
        raise BackendUnavailable(wanted, "audiogpt models pull " + task)

    def get(self, name: str) -> Backend:
        """A backend by name, loading it on first use."""
        with self._lock:
            if name not in self._loaded:
                cls = BACKENDS[name]
                cls.ensure_installed()
                backend = cls()
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
