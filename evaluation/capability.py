"""Capability: every installed backend on inputs made here, through the real agent and
executors, each with its quality figure. The plan is fixed per case (a scripted planner),
so the figures measure the models, not the planner."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from core_agent.agent import Agent
from core_agent.config import Settings
from core_agent.db import open_memory
from core_agent.planning import PlanningContext
from core_agent.types import Attachment, Message, Plan, PlanStep
from evaluation import Tick, quiet
from evaluation import capability_cases as c
from evaluation import capability_sound as s
from evaluation.capability_cases import Case, Figure, Kit
from media.probe import probe
from models.cache import BackendCache
from models.registry import backends_for
from models.settings import ModelSettings
from tasks import TASKS
from workers.runner import InlineRunner
from workers.steps import EXECUTORS

log = logging.getLogger(__name__)

CASES: dict[str, Case] = {
    "speech_recognition": Case(Figure("WER", "%", "lower", 20.0), c.make_asr, c.measure_asr),
    "speech_translation": Case(Figure("WER vs reference translation", "%", "lower", 50.0),
                               c.make_translation, c.measure_translation),
    "text_to_speech": Case(Figure("TTS→ASR WER", "%", "lower", 10.0), c.make_tts,
                           c.measure_tts),
    "style_transfer": Case(Figure("F0 gap to reference", "semitones", "lower", 3.0),
                           c.make_style, c.measure_style),
    "speech_enhancement": Case(Figure("SI-SDR gain", "dB", "higher", 3.0),
                               c.make_enhancement, c.measure_enhancement),
    "speech_separation": Case(Figure("SI-SDR gain", "dB", "higher", 0.5), c.make_separation,
                              c.measure_separation),
    "mono_to_binaural": Case(Figure("ITD error", "µs", "lower", 100.0), c.make_binaural,
                             c.measure_binaural),
    "audio_inpainting": Case(Figure("gap SNR (silence 0 dB)", "dB", "higher", 6.0),
                             c.make_inpainting, c.measure_inpainting),
    "sound_extraction": Case(Figure("target-to-rest gain", "dB", "higher", 6.0),
                             s.make_extraction, s.measure_extraction),
    "target_sound_detection": Case(Figure("onset error", "s", "lower", 0.5), s.make_target,
                                   s.measure_target),
    "sound_detection": Case(Figure("mean onset error", "s", "lower", 0.5), s.make_detection,
                            s.measure_detection),
    "talking_head": Case(Figure("mouth–speech sync r", "", "higher", 0.6),
                         s.make_talking_head, s.measure_talking_head),
    "audio_to_text": Case(Figure("sounds named", "%", "higher", 66.0), s.make_caption,
                          s.measure_caption),
    "singing_synthesis": Case(Figure("pitch error", "cents", "lower", 50.0), s.make_singing,
                              s.measure_singing),
    "audio_edit": Case(Figure("pitch-shift error", "cents", "lower", 20.0), s.make_edit,
                       s.measure_edit),
}


class Scripted:
    """A planner that returns the steps it was given: capability tests models, not plans."""

    name = "scripted"

    def __init__(self) -> None:
        self.steps: list[PlanStep] = []

    async def plan(self, context: PlanningContext) -> Plan:
        """The current case's steps."""
        return Plan(steps=[st.model_copy(deep=True) for st in self.steps], planner=self.name)


def installed(task: str, models: ModelSettings) -> tuple[bool, str]:
    """Whether the task can run here, and the hint that installs it."""
    found = backends_for(task)
    if task in EXECUTORS and any(cls.installed(models) for cls in found):
        names = [cls.name for cls in found if cls.installed(models)]
        return True, names[0]
    if not found:
        return False, "no model packaged yet (a later release)"
    return False, found[0].install_hint


async def run_capability(settings: Settings, backends: BackendCache, work: Path,
                         tasks: Iterable[str] | None = None, tick: Tick = quiet
                         ) -> dict[str, Any]:
    """Run each selected task's case; tasks with nothing installed are listed, not failed.
    `tick` hears the count done after each."""
    memory = open_memory(settings)
    planner = Scripted()
    agent = Agent(settings, memory, planner, InlineRunner(memory, settings, backends), probe)
    kit = Kit(work, backends)
    rows = []
    chosen = list(tasks or TASKS)
    try:
        for number, task in enumerate(chosen, start=1):
            ready, note = installed(task, backends.settings)
            rows.append(await _run_case(agent, planner, kit, task, note) if ready else
                        {"task": task, "status": "not installed", "install": note})
            tick(number, len(chosen))
    finally:
        memory.engine.dispose()
    return {"cases": rows}


async def _run_case(agent: Agent, planner: Scripted, kit: Kit, task: str, backend: str
                    ) -> dict[str, Any]:
    case = CASES[task]
    row: dict[str, Any] = {"task": task, "backend": backend, "figure": case.figure.name,
                           "unit": case.figure.unit, "better": case.figure.better,
                           "target": case.figure.target}
    started = time.perf_counter()
    try:
        made = await asyncio.to_thread(case.make, kit)
        planner.steps = made.steps
        reply = await agent.handle(Message(
            channel_id=f"eval:capability:{task}", text=f"capability check: {task}",
            platform="eval", attachments=[Attachment(path=p, filename=p.name)
                                          for p in made.files]))
        row["seconds"] = round(time.perf_counter() - started, 2)
        row["steps"] = [st.task for st in reply.steps]
        if reply.error_code:
            return row | {"status": "failed", "detail": f"{reply.error_code}: {reply.text}"}
        value, detail = await asyncio.to_thread(case.measure, reply, made, kit)
    except Exception as err:  # a broken case is reported, and the others still run
        log.exception("capability case %s failed", task)
        return row | {"status": "error", "seconds": round(time.perf_counter() - started, 2),
                      "detail": f"{type(err).__name__}: {err}"}
    value = round(float(value), 4)
    status = "ok" if case.figure.meets(value) else "below target"
    return row | {"status": status, "value": value, "detail": detail}
