"""Backends by task id, in order of preference, and a per-process cache of loaded ones."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import os
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from models.audio_edit.ffmpeg_edit import FfmpegEdit
from models.base import Backend
from models.binaural.sofa_hrtf import SofaHrtf
from models.binaural.spherical_head import SphericalHead
from models.catalog.checkpoints import torch_device
from models.errors import BackendUnavailable, Unsupported
from models.generation.audioldm2 import AudioLdm2
from models.generation.blip_caption import BlipCaptioner
from models.generation.musicgen import MusicGenSmall
from models.inpainting.audioldm2 import AudioLdm2Inpaint
from models.inpainting.lpc import LpcInpaint
from models.separation.sepformer import SepFormerWsj02Mix
from models.separation.voicefilter import VoiceFilter
from models.singing.diffsinger import DiffSingerOnnx
from models.singing.world import WorldSinger
from models.sound.ast_audioset import AstDetector
from models.sound.clap import ClapMask, ClapTargetDetector
from models.sound.event_caption import EventCaptioner
from models.sound.qwen_audio import QwenAudioCaptioner
from models.sound.yamnet import YamnetDetector, YamnetMask, YamnetTargetDetector
from models.speech_enhancement.metricgan import MetricGanPlus
from models.speech_enhancement.spectral_gate import SpectralGate
from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from models.speech_recognition.whisper_turbo import WhisperTurbo
from models.style_transfer.csm import CsmVoiceClone
from models.style_transfer.world import WorldStyle
from models.talking_head.cascade import CascadeTalkingHead
from models.talking_head.wav2lip import Wav2LipTalkingHead
from models.text_to_speech.base import Synthesizer
from models.text_to_speech.espeak import EspeakNG
from models.text_to_speech.kokoro import Kokoro
from models.text_to_speech.mms import MmsFrench, MmsGerman, MmsSpanish
from models.text_to_speech.piper import PiperJoe
from models.text_to_speech.piper_voices import VOICES
from models.translation.seamless import SeamlessTranslate
from models.translation.whisper import WhisperTranslate

log = logging.getLogger(__name__)

BACKENDS: dict[str, type[Backend]] = {
    cls.name: cls for cls in (WhisperTurbo, WhisperTranslate, FasterWhisperTinyEn, PiperJoe,
                              EspeakNG, SpectralGate, SofaHrtf, SphericalHead, WorldStyle,
                              FfmpegEdit, VoiceFilter)
} | {SeamlessTranslate.name: SeamlessTranslate} | {  # after Whisper's: English to Whisper
    cls.name: cls for cls in (YamnetDetector, YamnetTargetDetector, YamnetMask, EventCaptioner,
                              LpcInpaint)
} | {cls.name: cls for cls in (WorldSinger, CascadeTalkingHead)} | {
    cls.name: cls for cls in (AstDetector, MusicGenSmall)
} | {  # Piper's voices ahead of MMS's for the same language: permissive licenses, faster
    cls.name: cls for cls in VOICES
} | {cls.name: cls for cls in (Kokoro, MmsGerman, MmsFrench, MmsSpanish)} | {
    cls.name: cls for cls in (ClapTargetDetector, ClapMask, Wav2LipTalkingHead, DiffSingerOnnx)
} | {MetricGanPlus.name: MetricGanPlus} | {QwenAudioCaptioner.name: QwenAudioCaptioner} | {
    SepFormerWsj02Mix.name: SepFormerWsj02Mix} | {
    CsmVoiceClone.name: CsmVoiceClone} | {
    cls.name: cls for cls in (AudioLdm2, BlipCaptioner, AudioLdm2Inpaint)} | {
    OpenAIWhisperTurbo.name: OpenAIWhisperTurbo}


def cuda_present(import_torch: bool = False) -> bool:
    """Whether torch sees a GPU. Unless told to import torch (a second and 180 MB), only a
    torch this process already imported is asked: routing and listings never load it."""
    if import_torch:
        return torch_device() == "cuda"
    torch = sys.modules.get("torch")
    return torch is not None and bool(torch.cuda.is_available())


def backends_for(task: str, has_cuda: bool | None = None) -> list[type[Backend]]:
    """Every backend that serves a task, preferred first: neural before embedded, and within
    a tier those that prefer a GPU first where there is one, last where there is none
    (`has_cuda` None: cuda_present())."""
    found = [cls for cls in BACKENDS.values() if cls.task == task]
    cuda = cuda_present() if has_cuda is None else has_cuda
    return sorted(found, key=lambda cls: (cls.tier != "neural", cls.prefers_gpu != cuda))


def usable_backends(task: str, models_dir: Path | None, language: str | None = None,
                    voice: str | None = None, ask_torch: bool = False) -> list[type[Backend]]:
    """The installed backends of a task that handle the language, best first: of a voice's
    task, those that have the voice named ahead of the rest. Where an installed one prefers
    a GPU, `ask_torch` imports torch to see whether there is one (a worker about to run the
    job); otherwise only a torch already imported is asked (routing, listings)."""
    usable = [cls for cls in backends_for(task)  # `speaks` first: it is cheap, `installed`
              if cls.speaks(language) and cls.installed(models_dir)]  # looks on disk
    if ask_torch and any(cls.prefers_gpu for cls in usable):
        order = backends_for(task, cuda_present(import_torch=True))
        usable.sort(key=order.index)
    if voice:  # stable: preference order among those that have it, then the rest
        usable.sort(key=lambda cls: not (issubclass(cls, Synthesizer) and cls.offers(voice)))
    return usable


class CacheListener(Protocol):
    """Told when a backend is loaded (seconds taken, resident bytes) or evicted."""

    def loaded(self, name: str, seconds: float, size: int) -> None: ...

    def evicted(self, name: str) -> None: ...


def resident_bytes() -> int:
    """This process's resident memory, plus CUDA memory where torch is using a GPU."""
    try:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = 0
    torch = sys.modules.get("torch")  # only if something already imported it
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        rss += int(torch.cuda.memory_allocated())
    return rss


def release_memory() -> None:
    """Collect garbage and hand freed heap back to the OS (glibc keeps it otherwise)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc: the allocator keeps it
        ctypes.CDLL("libc.so.6").malloc_trim(0)


class BackendCache:
    """Loads each backend once per process and hands out the loaded instance.

    With a memory budget, each backend's size is measured as it loads (the growth of
    resident memory, plus CUDA memory) and, once the loaded ones together exceed the budget,
    the least recently used are dropped; a dropped backend loads again on its next use.
    """

    def __init__(self, models_dir: Path | None = None, budget_mb: float | None = None,
                 listener: CacheListener | None = None,
                 measure: Callable[[], int] = resident_bytes) -> None:
        self.models_dir = models_dir  # where `audiogpt models pull` puts checkpoints
        self.budget = None if budget_mb is None else int(budget_mb * 1024 * 1024)  # bytes
        self.listener, self.measure = listener, measure
        self._loaded: OrderedDict[str, Backend] = OrderedDict()  # least recently used first
        self.sizes: dict[str, int] = {}  # bytes each loaded backend added at load
        self._lock = threading.Lock()

    def for_task(self, task: str, language: str | None = None, voice: str | None = None
                 ) -> Backend:
        """The first installed backend of a task that handles the language, loaded; of a
        voice's task, the first that has the voice named, if any has it. BackendUnavailable
        if none is installed, Unsupported if no model of ours could be."""
        usable = usable_backends(task, self.models_dir, language, voice, ask_torch=True)
        if usable:
            return self.get(usable[0].name)
        candidates = backends_for(task)
        able = [cls for cls in candidates if cls.speaks(language)]
        if candidates and not able:
            known = sorted({code for cls in candidates for code in cls.languages})
            # A model that knows its languages only at run time (espeak-ng) lists none here.
            listed = all(cls.languages for cls in candidates)
            choices = f"; ask for one of these: {', '.join(known)}" if listed else ""
            raise Unsupported(f"no model here handles the language {language!r}{choices}")
        if not able:
            raise BackendUnavailable(f"a model for {task}", "audiogpt models pull " + task)
        which = f", which handles {language!r}," if language else ""
        raise BackendUnavailable(able[0].model + which, able[0].install_hint)

    def get(self, name: str) -> Backend:
        """A backend by name, loading it on first use (or after it was evicted)."""
        with self._lock:
            if name in self._loaded:
                self._loaded.move_to_end(name)
                return self._loaded[name]
            cls = BACKENDS[name]
            backend = cls.create(self.models_dir)
            log.info("loading %s", cls.model)
            before, started = self.measure(), time.perf_counter()
            backend.load()
            seconds, size = time.perf_counter() - started, max(self.measure() - before, 0)
            self._loaded[name], self.sizes[name] = backend, size
            if self.listener is not None:
                self.listener.loaded(name, seconds, size)
            self._evict_over_budget()
            return backend

    @property
    def resident(self) -> int:
        """Bytes the loaded backends added, as measured at their loads."""
        return sum(self.sizes.values())

    def _evict_over_budget(self) -> None:
        """Drop least recently used backends (never the newest) until within the budget."""
        if self.budget is None:
            return
        while self.resident > self.budget and len(self._loaded) > 1:
            oldest = next(iter(self._loaded))
            del self._loaded[oldest]
            freed = self.sizes.pop(oldest)
            release_memory()  # a job still holding it keeps it until that job ends
            log.info("evicted %s (%.0f MB) to stay within %.0f MB", oldest, freed / 2**20,
                     self.budget / 2**20)
            if self.listener is not None:
                self.listener.evicted(oldest)

    def preload(self, tasks: list[str]) -> None:
        """Load the installed backends of these tasks now (worker start-up)."""
        for task in tasks:
            try:
                self.for_task(task)
            except BackendUnavailable:
                log.info("no installed backend for %s", task)
