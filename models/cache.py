"""A per-process cache of loaded backends, within a memory budget: each backend's resident
memory is measured as it loads, and the least recently used are dropped when over it."""

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
from typing import Protocol

from core_agent.errors import BackendUnavailable, Unsupported
from models.base import Backend
from models.registry import BACKENDS, backends_for, usable_backends
from models.settings import BARE, ModelSettings

log = logging.getLogger(__name__)


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

    def __init__(self, settings: ModelSettings = BARE, budget_mb: float | None = None,
                 listener: CacheListener | None = None,
                 measure: Callable[[], int] = resident_bytes) -> None:
        self.settings = settings  # every backend is created with them
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
        usable = usable_backends(task, self.settings, language, voice, ask_torch=True)
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
            backend = cls.create(self.settings)
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
