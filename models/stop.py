"""Stopping a step for real: a token the runner sets when a job times out or is cancelled.

A step runs in a worker thread, which Python cannot kill, so the work stops itself: every
ffmpeg child the step starts is registered with the step's token and killed the moment it
is stopped, and backends call `check()` between chunks (segments, sentences, windows,
diffusion steps), which raises `Stopped`. The token travels in a context variable, which
`asyncio.to_thread` copies into the thread, so no backend signature carries it.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


class Stopped(Exception):
    """The step was stopped (timed out or cancelled); its partial work is thrown away."""


class StopToken:
    """Set once, from any thread; running children are killed (and other registered
    callbacks called) when it is."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._on_stop: dict[object, Callable[[], object]] = {}
        self.reason = ""

    @property
    def stopped(self) -> bool:
        """Whether the step has been told to stop."""
        return self._event.is_set()

    def stop(self, reason: str = "stopped") -> None:
        """Stop the step: kill its children now; its next `check()` raises."""
        with self._lock:
            if not self._event.is_set():
                self.reason = reason
                self._event.set()
            callbacks = list(self._on_stop.values())
        for callback in callbacks:
            callback()

    def check(self) -> None:
        """Raise Stopped if the step was told to stop."""
        if self._event.is_set():
            raise Stopped(self.reason)

    @contextmanager
    def calling(self, callback: Callable[[], object]) -> Iterator[None]:
        """Call `callback` (from the stopping thread) if the step is stopped meanwhile."""
        key = object()
        with self._lock:
            self._on_stop[key] = callback
            stopped = self._event.is_set()
        if stopped:
            callback()
        try:
            yield
        finally:
            with self._lock:
                self._on_stop.pop(key, None)

    def watching(self, child: subprocess.Popen[bytes]) -> contextlib.AbstractContextManager[None]:
        """Kill `child` if the step is stopped while it runs."""
        return self.calling(child.kill)


current: ContextVar[StopToken | None] = ContextVar("audiogpt_stop_token", default=None)


def check() -> None:
    """Raise Stopped if the running step was stopped; nothing outside a step."""
    token = current.get()
    if token is not None:
        token.check()


@contextmanager
def watching(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """Register a child process with the running step's token, if any."""
    token = current.get()
    if token is None:
        yield
        return
    with token.watching(child):
        yield


def run_session(session: Any, outputs: Sequence[str] | None, feeds: dict[str, Any]
                ) -> list[Any]:
    """An ONNX Runtime `session.run` that a stop ends between two of the graph's nodes
    (its RunOptions' terminate flag), raising Stopped, rather than after the whole call."""
    token = current.get()
    if token is None:
        return list(session.run(outputs, feeds))
    import onnxruntime

    options = onnxruntime.RunOptions()

    def terminate() -> None:
        options.terminate = True

    try:
        with token.calling(terminate):
            return list(session.run(outputs, feeds, options))
    except Exception:
        token.check()  # ended by the flag: say why
        raise


def between_tokens() -> Any:
    """For transformers' `generate(stopping_criteria=...)`: a stopped step raises Stopped
    between two generated tokens (imports transformers; only the neural tier uses it)."""
    import torch
    from transformers import StoppingCriteria, StoppingCriteriaList

    class Check(StoppingCriteria):  # type: ignore[misc]
        def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor, **kwargs: Any
                     ) -> torch.Tensor:
            check()
            return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)

    return StoppingCriteriaList([Check()])
