"""The job function: one plan step, from its database record to stored artifacts.

The same function runs in-process and under arq. The queue carries only the job id;
the record says what to do and, once final, what happened, so a retry of a finished
job does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from core_agent import logs
from core_agent.config import Settings
from core_agent.errors import (
    AudioGPTError,
    InputRejected,
    ModelFailed,
    ModelNotInstalled,
    TaskUnsupported,
)
from core_agent.memory import Memory
from core_agent.metrics import INFERENCE_SECONDS, JOBS
from core_agent.tables import Job
from core_agent.tasks import Args, TaskSpec, get_task, media_refs
from core_agent.types import STEP_REF, Artifact, Kind, StepStatus
from models.asr_batch import NOTES_BATCH_SIZE, AsrBatcher
from models.audio import mime_for, probe
from models.base import Backend
from models.errors import BackendUnavailable, MediaError, Unsupported
from models.faster_whisper_asr import configure_batching
from models.registry import backends_for
from workers.steps import EXECUTORS, Executor, Output, executor_for

log = logging.getLogger(__name__)
AUDIO_SOURCES = (Kind.AUDIO, Kind.VIDEO)
# What each media argument takes, where it is not audio (a video's sound track counts).
MEDIA_KINDS = {"image": ((Kind.IMAGE,), "a picture"),
               "score": ((Kind.FILE,), "a MIDI or MusicXML score")}


def asr_batcher(settings: Settings) -> AsrBatcher | None:
    """What gathers concurrent speech_recognition jobs into one Whisper batch (None: off),
    with Whisper's batch size configured from the settings."""
    configure_batching(settings.asr_batch_size)
    if settings.asr_batch_window <= 0 or (settings.asr_batch_size or NOTES_BATCH_SIZE) <= 1:
        return None
    return AsrBatcher(settings.asr_batch_size or NOTES_BATCH_SIZE, settings.asr_batch_window)


def require_installed(task: str, models_dir: Path | None) -> None:
    """ModelNotInstalled unless an installed backend serves the task (loads nothing)."""
    candidates = backends_for(task)
    if task in EXECUTORS and any(cls.installed(models_dir) for cls in candidates):
        return
    if not candidates:
        raise ModelNotInstalled(
            f"{task} isn't available yet: no model for it is installed, and this release "
            "packages none. `audiogpt tasks` shows what is installed.")
    first = candidates[0]
    raise ModelNotInstalled(
        f"{task} isn't available here: {first.model} is not installed. "
        f"Install it with `{first.install_hint}`.")


async def run_step(ctx: dict[str, Any], job_id: str) -> str:
    """Run one job to a final state and return that state."""
    token = logs.job_id.set(job_id)  # log lines while it runs name the job
    try:
        return await _run_step(ctx, job_id)
    finally:
        logs.job_id.reset(token)


async def _run_step(ctx: dict[str, Any], job_id: str) -> str:
    memory: Memory = ctx["memory"]
    job = await memory.get_job(job_id)
    if job is None:
        log.warning("job %s is not in the database", job_id)
        return "missing"
    if job.status in (StepStatus.DONE, StepStatus.FAILED, StepStatus.CANCELLED):
        return job.status
    try:
        spec = get_task(job.task)
        args = spec.validate(job.args)
        require_installed(job.task, ctx["backends"].models_dir)
        backend = ctx["backends"].for_task(job.task, getattr(args, "language", None),
                                           getattr(args, "voice", None))
        if await memory.claim_job(job_id, backend.name) is None:
            return "already-final"
        await memory.add_event(job_id, "running", backend.model)
        media, args = await _resolve(memory, job, spec, args)
        executor = executor_for(job.task, ctx["backends"], ctx.get("asr_batcher"))
        outputs = await _execute(memory, job, executor, backend, args, media)
    except AudioGPTError as err:
        return await _fail(memory, job, err)
    except Exception as err:
        log.exception("job %s (%s) failed", job_id, job.task)
        return await _fail(memory, job, _as_agent_error(err, job.task))
    await memory.finish_job(job_id, StepStatus.DONE, outputs=outputs)
    await memory.add_event(job_id, "done", f"{len(outputs['artifacts'])} file(s)")
    JOBS.labels(job.task, StepStatus.DONE.value).inc()
    return StepStatus.DONE.value


async def _fail(memory: Memory, job: Job, err: AudioGPTError) -> str:
    job_id = job.id
    JOBS.labels(job.task, err.code).inc()
    await memory.finish_job(job_id, StepStatus.FAILED, error_code=err.code, error=err.message)
    await memory.add_event(job_id, "failed", err.code)
    return StepStatus.FAILED.value


def _as_agent_error(err: Exception, task: str) -> AudioGPTError:
    if isinstance(err, MediaError):
        return InputRejected(f"I couldn't use that file: {err}.")
    if isinstance(err, Unsupported):
        return TaskUnsupported(f"{task} can't do that here: {err}.")
    if isinstance(err, BackendUnavailable):
        return ModelNotInstalled(str(err))
    return ModelFailed(f"The {task} model failed ({type(err).__name__}). The job is recorded.")


async def _resolve(memory: Memory, job: Job, spec: TaskSpec, args: Args
                   ) -> tuple[dict[str, Artifact], Args]:
    """Media references to this channel's artifacts; "stepN" text to step N's text output."""
    media = {}
    for name, ref in media_refs(spec, args).items():
        artifact = await _artifact_for(memory, job, ref)
        wanted, what = MEDIA_KINDS.get(name, (AUDIO_SOURCES, "audio"))
        if artifact.kind not in wanted:
            raise InputRejected(f"{ref} is {artifact.kind.value}; {spec.id} needs {what} there.")
        media[name] = artifact
    texts = {}
    for name, value in args.model_dump().items():
        if name not in media and isinstance(value, str) and (m := STEP_REF.match(value)):
            earlier = await _earlier(memory, job, int(m.group(1)))
            if not (earlier.outputs or {}).get("text"):
                raise TaskUnsupported(f"step {m.group(1)} produced no text to use.")
            texts[name] = earlier.outputs["text"]  # type: ignore[index]
    return media, (spec.validate({**job.args, **texts}) if texts else args)


async def _artifact_for(memory: Memory, job: Job, ref: str) -> Artifact:
    if m := STEP_REF.match(ref):
        handles = ((await _earlier(memory, job, int(m.group(1)))).outputs or {}).get("artifacts")
        if not handles:
            raise TaskUnsupported(f"step {m.group(1)} produced no file to use.")
        ref = handles[0]
    artifact = await memory.artifact(job.channel_id, ref)
    if artifact is None:
        raise InputRejected(f"There is no {ref} in this chat.")
    return artifact


async def _earlier(memory: Memory, job: Job, step: int) -> Job:
    for other in await memory.jobs_for(job.message_id):
        if other.purpose == job.purpose and other.step == step and step < job.step:
            if other.status != StepStatus.DONE:
                raise TaskUnsupported(f"step {step} did not finish, so step {job.step} can't run.")
            return other
    raise TaskUnsupported(f"step {job.step} refers to step {step}, which is not before it.")


async def _execute(memory: Memory, job: Job, executor: Executor, backend: Backend, args: Args,
                   media: dict[str, Artifact]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="audiogpt-job-") as work:
        started = time.perf_counter()
        output: Output = await asyncio.to_thread(executor, backend, args, media, Path(work))
        INFERENCE_SECONDS.labels(job.task, backend.name).observe(time.perf_counter() - started)
        handles = []
        for made in output.files:
            info = await asyncio.to_thread(probe, made.path)
            artifact = await memory.add_artifact(
                job.channel_id, made.path, kind=made.kind, mime=mime_for(made.path),
                producer=f"job:{job.task}", label=made.label, job_id=job.id,
                message_id=job.message_id, duration=info.duration,
                sample_rate=info.sample_rate, channels=info.channels)
            handles.append(artifact.handle)
    return {"text": output.text, "data": output.data, "artifacts": handles}
