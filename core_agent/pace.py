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
import tempfile
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
    """The measured paces, one per task, in a JSON file (read afresh each time, so a worker
    process's measurements reach the bot's)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or half-written by a crash: start over
            return {}
        return data if isinstance(data, dict) else {}

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
        if length is None or length <= 0:
            return
        data = self._read()
        old = data.get(task, {})
        jobs = int(old.get("jobs", 0)) if old.get("backend") == backend else 0
        rate = seconds / length
        if jobs:
            rate = float(old["rate"]) + (rate - float(old["rate"])) / min(jobs + 1, WINDOW)
        data[task] = {"backend": backend, "rate": rate, "jobs": jobs + 1}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.path.parent, delete=False,
                                             suffix=".tmp", encoding="utf-8") as out:
                json.dump(data, out)
            os.replace(out.name, self.path)
        except OSError as err:  # a read-only cache costs the estimate, not the job
            log.warning("could not keep the pace of %s: %s", task, err)


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
