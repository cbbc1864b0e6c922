"""How long a step takes on this machine, said before a long one starts.

Per task, the seconds of work per second of media (its input recording; without one the
sound asked for: a duration, or a text read aloud) of the backend that last ran it here, a
running average kept in the data folder's cache. Until a task has run here its spec's
conservative figure stands in; a task with neither gets no estimate, nor does a step whose
media has no length to go by.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from core_agent.memory import Memory
from core_agent.types import STEP_REF, PlanStep, StepResult
from tasks import TASKS

log = logging.getLogger(__name__)
PACE_FILE = "pace.json"
WINDOW = 10  # jobs: the running average forgets older ones at about this length
WORTH_SAYING = 10.0  # seconds; a shorter step gets no estimate
CHARS_PER_SECOND = 14.0  # of speech read aloud at the usual speed


def media_seconds(args: dict[str, Any], audio_seconds: float | None) -> float | None:
    """The length a step's work scales with: its input recording's, else the sound asked
    for (a duration, or a text read aloud); None when nothing tells."""
    if audio_seconds:
        return audio_seconds
    if isinstance(duration := args.get("duration"), int | float) and duration > 0:
        return float(duration)
    if isinstance(text := args.get("text"), str) and text.strip() and not STEP_REF.match(text):
        return len(text) / CHARS_PER_SECOND
    return None


def about(seconds: float) -> str:
    """A duration as people say it: "about 40 s", "about 3 min"."""
    if seconds < 60:
        return f"about {max(10, round(seconds / 5) * 5)} s"
    if seconds < 600:
        return f"about {round(seconds / 30) / 2:g} min"
    return f"about {round(seconds / 300) * 5} min"


def note(estimate: float | None, ahead: int) -> str | None:
    """What a progress line adds: the estimate when the step is long, the jobs before it."""
    parts = []
    if estimate is not None and estimate >= WORTH_SAYING:
        parts.append(f"{about(estimate)} on this machine")
    if ahead > 0:
        parts.append(f"{ahead} job{'s' if ahead > 1 else ''} ahead")
    return ", ".join(parts) or None


class Paces:
    """The measured paces, one per task, in a JSON file (read again whenever it changed, so
    a worker process's measurements reach the bot's)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._seen: tuple[int, int, int] | None = None  # the file's inode, mtime, size when read
        self._data: dict[str, dict[str, Any]] = {}
        self._lock = threading.RLock()  # jobs of this process record from their threads

    def _read(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            if (seen := _identity(self.path)) != self._seen:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._data = data if isinstance(data, dict) else {}
                self._seen = seen
        except (OSError, ValueError):  # none yet, or half-written by a crash: start over
            self._seen, self._data = None, {}
        return {task: dict(pace) for task, pace in self._data.items()}

    def rate(self, task: str) -> float | None:
        """Seconds of work per second of media: measured here, or the spec's guess."""
        measured = self._read().get(task, {}).get("rate")
        return float(measured) if isinstance(measured, int | float) else TASKS[task].pace

    def estimate(self, task: str, args: dict[str, Any], audio_seconds: float | None
                 ) -> float | None:
        """Seconds the step should take here, or None without a basis."""
        rate, length = self.rate(task), media_seconds(args, audio_seconds)
        return rate * length if rate is not None and length is not None else None

    def record(self, task: str, backend: str, seconds: float, args: dict[str, Any],
               audio_seconds: float | None) -> None:
        """Fold a finished job's time into its task's pace (a new backend starts afresh)."""
        length = media_seconds(args, audio_seconds)
        if length is not None and length > 0:
            with self._lock:
                self._fold(task, backend, seconds / length)

    def _fold(self, task: str, backend: str, rate: float) -> None:
        data = self._load()
        old = data.get(task, {})
        jobs = int(old.get("jobs", 0)) if old.get("backend") == backend else 0
        if jobs:
            rate = float(old["rate"]) + (rate - float(old["rate"])) / min(jobs + 1, WINDOW)
        data[task] = {"backend": backend, "rate": rate, "jobs": jobs + 1}
        # a name of this process's own: writers never share a half-written file
        partial = self.path.with_name(f"{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, self.path)
            self._data, self._seen = data, _identity(self.path)
        except OSError as err:  # a read-only cache costs the estimate, not the job
            log.warning("could not keep the pace of %s: %s", task, err)


def _identity(path: Path) -> tuple[int, int, int]:
    """What changes when the file is replaced or rewritten."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


async def step_note(paces: Paces, memory: Memory, channel_id: str, step: PlanStep,
                    done: list[StepResult], ahead: int) -> str | None:
    """The progress note for a step about to run: its input's length from the chat or from
    the earlier step that made it."""
    ref, seconds = step.args.get("audio"), None
    if isinstance(ref, str) and (m := STEP_REF.match(ref)):
        made = done[int(m.group(1)) - 1].artifacts if int(m.group(1)) <= len(done) else []
        seconds = made[0].duration if made else None
    elif isinstance(ref, str) and (found := await memory.artifact(channel_id, ref, fetch=False)):
        seconds = found.duration
    return note(paces.estimate(step.task, step.args, seconds), ahead)
