"""What the first turns need, loaded in a background thread once a process serves, so that
it answers at once and its first turn is as quick as the later ones; /healthz reports it.

A turn that needs a model before its preload finished waits for that same load (each model
loads under its own lock: the backend cache's, the embedder's, the planner's bank), so
nothing loads twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class Preload:
    """Named loads run in order in one daemon thread; `done` is set when all have run."""

    def __init__(self, loads: dict[str, Callable[[], object]] | None = None) -> None:
        self._pending = dict(loads or {})
        self._lock = threading.Lock()
        self.done = threading.Event()
        self._stopping = threading.Event()
        self._started = not self._pending
        if not self._pending:
            self.done.set()

    def start(self) -> None:
        """Begin loading in the background (once)."""
        with self._lock:
            started, self._started = self._started, True
        if not started:
            threading.Thread(target=self._run, name="preload", daemon=True).start()

    def stop(self) -> None:
        """Load nothing more, and wait for a load under way to end: a process must not exit
        while a native library is loading a model on the thread (it aborts)."""
        self._stopping.set()
        with self._lock:
            started = self._started
        if started:
            self.done.wait()

    @property
    def loading(self) -> list[str]:
        """What is not loaded yet, in the order it loads."""
        with self._lock:
            return list(self._pending)

    def health(self) -> dict[str, object]:
        """/healthz's part: whether everything is loaded, and what is still loading (a
        stopped preload that skipped some is not ready)."""
        loading = self.loading
        return {"ready": self.done.is_set() and not loading, "loading": loading}

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            for name, load in list(self._pending.items()):
                if self._stopping.is_set():
                    return
                try:
                    load()
                except Exception:  # its turns fail with their own coded reply when they run
                    log.warning("preloading %s failed", name, exc_info=True)
                with self._lock:
                    del self._pending[name]
        finally:
            self.done.set()
        log.info("ready: preloaded in %.1f s", time.perf_counter() - started)
