"""The job function: one plan step, from its database record to stored artifacts.

The same function runs in-process and under arq. The queue carries only the job id;
the record says what to do and, once final, what happened, so a retry of a finished
job does nothing. The step itself runs in a thread under a stop token (models/stop.py)
that a watchdog sets at the job timeout or once the record says cancelled; the job
then ends when the step reaches its next check, and a cancelled job keeps nothing.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from core_agent import logs
from core_agent.config import Settings
from core_agent.errors import (
    AudioGPTError,
    BackendUnavailable,
    InputRejected,
    JobTimedOut,
    MediaError,
    ModelFailed,
    ModelNotInstalled,
    TaskUnsupported,
    Unsupported,
)
from core_agent.memory import Memory
from core_agent.metrics import INFERENCE_SECONDS, JOBS
from core_agent.types import SPOKEN_REPLY, STEP_REF, Artifact, Job, Kind, StepStatus
from media.probe import mime_for, probe
from models.base import Backend
from models.registry import backends_for
from models.settings import ModelSettings
from models.speech_recognition.batching import NOTES_BATCH_SIZE, AsrBatcher
from models.stop import Stopped, StopToken
from models.stop import current as current_stop
from tasks import get_task, media_refs, title_of
from tasks.base import Args, TaskSpec
from workers.steps import EXECUTORS, Executor, Output, executor_for

log = logging.getLogger(__name__)
AUDIO_SOURCES = (Kind.AUDIO, Kind.VIDEO)
# What each media argument takes, where it is not audio (a video's sound track counts).
MEDIA_KINDS = {"image": ((Kind.IMAGE,), "a picture"),
               "score": ((Kind.FILE,), "a MIDI or MusicXML score")}
STOP_POLL = 0.5  # seconds between looks at the job's record for a cancel
# Seconds a stopped step gets to reach its next check and end: a stretch between two
# checks is one native call (a Whisper chunk: a CPU-second or two), slow on a busy machine.
STOP_GRACE = 30.0
STORE_GRACE = 5.0  # seconds arq allows on top of that, to store a step's outputs
TIMED_OUT, CANCELLED = "timed out", "cancelled"  # why a step was stopped


def worker_timeout(job_timeout: float) -> float:
    """arq's own limit on a job, a backstop behind the job's: the step's time, then its
    wind-down and the storing of its outputs."""
    return job_timeout + STOP_GRACE + STORE_GRACE


def asr_batcher(settings: Settings) -> AsrBatcher | None:
    """What gathers concurrent speech_recognition jobs into one Whisper batch (None: off)."""
    if settings.asr_batch_window <= 0 or (settings.asr_batch_size or NOTES_BATCH_SIZE) <= 1:
        return None
    return AsrBatcher(settings.asr_batch_size or NOTES_BATCH_SIZE, settings.asr_batch_window)


def require_installed(task: str, models: ModelSettings, language: str | None = None
                      ) -> None:
    """ModelNotInstalled unless an installed backend serves the task in the language (loads
    nothing), naming the model that would: the preferred one of those that handle it."""
    candidates = backends_for(task)
    able = [cls for cls in candidates if cls.speaks(language)] or candidates
    if task in EXECUTORS and any(cls.installed(models) for cls in able):
        return
    title = get_task(task).title
    if not able:
        raise ModelNotInstalled(
            f"{title} isn't available yet: no model for it is installed, and this release "
            "packages none. `audiogpt tasks` shows what is installed.")
    first = able[0]
    entry = getattr(first, "entry", None)  # a catalog model: its download and licence
    facts = f" ({entry.size} to download, licence {entry.license})" if entry else ""
    which = f" for {language!r}" if language and first is not candidates[0] else ""
    raise ModelNotInstalled(
        f"{title}{which} isn't available here: {first.model} is not installed{facts}. "
        f"Install it with `{first.install_hint}`.")


def preflight(task: str, args: Args, media: dict[str, Artifact]) -> None:
    """The task's step's own check of the files it is given (a face in the portrait),
    raising what the user is told; reads the files, loads no model."""
    try:
        EXECUTORS[task].check_inputs(args, media)
    except AudioGPTError as err:
        raise _as_agent_error(err, task) from err


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
    timeout: float = ctx["job_timeout"]
    try:
        spec = get_task(job.task)
        args = spec.validate(job.args)
        require_installed(job.task, ctx["backends"].settings, getattr(args, "language", None))
        backend = ctx["backends"].for_task(job.task, getattr(args, "language", None),
                                           getattr(args, "voice", None))
        if await memory.claim_job(job_id, backend.name) is None:
            return "already-final"
        await memory.add_event(job_id, "running", backend.model)
        media, args = await _resolve(memory, job, spec, args)
        executor = executor_for(job.task, ctx["backends"], ctx.get("asr_batcher"))
        outputs = await _execute(memory, job, executor, backend, args, media, timeout)
        took = outputs.pop("seconds")
        if (paces := ctx.get("paces")) is not None:  # what says how long the next will take
            paces.record(job.task, backend.name, took, job.args,
                         media["audio"].duration if "audio" in media else None)
    except Stopped as err:
        log.info("job %s (%s) stopped: %s", job_id, job.task, err)
        if str(err) == TIMED_OUT:
            return await _fail(memory, job, JobTimedOut(
                f"The job took longer than {timeout:.0f} s and was stopped."))
        return await _cancelled(memory, job)
    except asyncio.CancelledError:  # the turn was cancelled, or the worker is stopping
        await _cancelled(memory, job)
        raise
    except Exception as err:  # ours as a line, a bug with its traceback
        logs.failure(log, err, "job %s (%s)", job_id, job.task)
        return await _fail(memory, job, _as_agent_error(err, job.task))
    if not await memory.finish_job(job_id, StepStatus.DONE, outputs=outputs):
        return await _cancelled(memory, job)  # while its outputs were stored
    await memory.add_event(job_id, "done", f"{len(outputs['artifacts'])} file(s)")
    JOBS.labels(job.task, StepStatus.DONE.value).inc()
    return StepStatus.DONE.value


async def _fail(memory: Memory, job: Job, err: AudioGPTError) -> str:
    job_id = job.id
    if not await memory.finish_job(job_id, StepStatus.FAILED, error_code=err.code,
                                   error=err.message):
        return await _cancelled(memory, job)
    JOBS.labels(job.task, err.code).inc()
    await memory.add_event(job_id, "failed", err.code)
    return StepStatus.FAILED.value


async def _cancelled(memory: Memory, job: Job) -> str:
    """Record a job cancelled (if someone's cancel did not already): nothing of it is kept."""
    await memory.finish_job(job.id, StepStatus.CANCELLED, error="stopped before it finished")
    await memory.add_event(job.id, "cancelled", "stopped")
    JOBS.labels(job.task, StepStatus.CANCELLED.value).inc()
    return StepStatus.CANCELLED.value


def _as_agent_error(err: Exception, task: str) -> AudioGPTError:
    if isinstance(err, MediaError):
        return InputRejected(f"I couldn't use that file: {err}.")
    if isinstance(err, Unsupported):
        return TaskUnsupported(f"{title_of(task)}: {str(err).rstrip('.')}.")
    if isinstance(err, BackendUnavailable):
        return ModelNotInstalled(str(err))
    if isinstance(err, AudioGPTError):
        return err
    return ModelFailed(f"{title_of(task)} failed: its model stopped with an error "
                       f"({type(err).__name__}). The job is recorded.")


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
                   media: dict[str, Artifact], limit: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="audiogpt-job-") as work:
        started = time.perf_counter()
        output = await _stoppable(memory, job.id, limit,
                                  partial(executor, backend, args, media, Path(work)))
        took = time.perf_counter() - started
        INFERENCE_SECONDS.labels(job.task, backend.name).observe(took)
        handles = []
        for made in output.files:
            if await _was_cancelled(memory, job.id):
                raise Stopped(CANCELLED)
            measured: dict[str, Any] = {}
            if made.kind != Kind.FILE:  # media is measured; a step's text file (subtitles) not
                info = made.info if made.info is not None else await asyncio.to_thread(
                    probe, made.path)
                measured = {"duration": info.duration, "sample_rate": info.sample_rate,
                            "channels": info.channels}
            artifact = await memory.add_artifact(
                job.channel_id, made.path, kind=made.kind, mime=mime_for(made.path),
                producer=SPOKEN_REPLY if job.purpose == "voice" else f"job:{job.task}",
                label=made.label, job_id=job.id, message_id=job.message_id, **measured)
            handles.append(artifact.handle)
    return {"text": output.text, "data": output.data, "artifacts": handles, "seconds": took}


async def _stoppable(memory: Memory, job_id: str, limit: float, work: Callable[[], Output]
                     ) -> Output:
    """The step's work, run in a thread under a fresh stop token beside a watchdog that
    stops it after `limit` seconds or once its record says cancelled; a cancel of this
    task stops it too. A stopped step is waited for (it ends at its next check), then
    Stopped is raised."""
    token = StopToken()
    context = contextvars.copy_context()  # the thread's: the token, and the log's job id
    context.run(current_stop.set, token)
    thread = asyncio.create_task(asyncio.to_thread(work), context=context)
    watchdog = asyncio.create_task(_watch(memory, job_id, token, limit))
    try:
        await asyncio.wait((thread, watchdog), return_when=asyncio.FIRST_COMPLETED)
        if not thread.done():
            watchdog.result()  # it stopped the token, or raises what went wrong in it
    finally:
        watchdog.cancel()
        if not thread.done():  # stopped, cancelled, or the watchdog failed
            token.stop(CANCELLED)  # (keeps the first reason given)
            await _wind_down(job_id, thread)
    if token.stopped:
        if thread.done():
            thread.exception()  # how a stopped step ended is of no interest: not "unretrieved"
        raise Stopped(token.reason)
    return thread.result()


async def _watch(memory: Memory, job_id: str, token: StopToken, limit: float) -> None:
    """Stop the step after `limit` seconds, or sooner once its record says cancelled."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while (left := deadline - loop.time()) > 0:
        await asyncio.sleep(min(STOP_POLL, left))
        if await _was_cancelled(memory, job_id):
            token.stop(CANCELLED)
            return
    token.stop(TIMED_OUT)


async def _was_cancelled(memory: Memory, job_id: str) -> bool:
    """Whether the job's record says cancelled (or is gone: its chat was reset)."""
    try:
        job = await memory.get_job(job_id)
    except SQLAlchemyError as err:  # the database is away for a moment: carry on
        log.warning("job %s: could not read its record (%s)", job_id, type(err).__name__)
        return False
    return job is None or job.status == StepStatus.CANCELLED


async def _wind_down(job_id: str, thread: asyncio.Task[Output]) -> None:
    """Wait for a stopped step's thread to end, up to STOP_GRACE."""
    await asyncio.wait((thread,), timeout=STOP_GRACE)
    if not thread.done():  # a backend with no check in a long stretch: say so
        log.warning("job %s: its step still runs %.0f s after it was stopped", job_id,
                    STOP_GRACE)
        thread.add_done_callback(lambda t: t.cancelled() or t.exception())
