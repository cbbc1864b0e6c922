"""The turn loop: the paper's four stages, the same for every platform.

1. modality transformation: uploads checked and stored; a voice note with no text is
   transcribed and the transcript becomes the request;
2. task analysis and 3. model assignment: the planner reads the turn and the channel's
   memory and returns tool calls; each becomes a job, run in order;
4. response generation: results become the reply (spoken too, if the channel wants).

Every accepted message ends with a reply, and the message, its jobs and their states
are in the database whatever happened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from core_agent import logs, long_reply, speaking
from core_agent.access import Access
from core_agent.config import Settings
from core_agent.errors import (
    AudioGPTError,
    InputRejected,
    JobLost,
    MediaError,
    ModelNotInstalled,
    TaskUnsupported,
    Unsupported,
)
from core_agent.memory import Memory
from core_agent.metrics import TURN_SECONDS, TURNS
from core_agent.pace import PACE_FILE, Paces, step_note
from core_agent.planning import Planner, PlanningContext
from core_agent.ports import JobRunner, MediaFacts
from core_agent.respond import compose, describe_plan, spoken
from core_agent.speaking import SPOKEN_REPLY_CHARS, VoiceHook
from core_agent.types import (
    HANDLE,
    HANDLE_IN_TEXT,
    SPOKEN_REPLY,
    STEP_REF,
    Artifact,
    Attachment,
    Channel,
    Event,
    Kind,
    Message,
    Plan,
    PlanStep,
    Reply,
    Stage,
    StepResult,
    StepStatus,
)
from tasks import TASKS, get_task, media_refs, plan_too_long

log = logging.getLogger(__name__)
Progress = Callable[[Event], Awaitable[None]]
AUDIO_SOURCES = (Kind.AUDIO, Kind.VIDEO)
STORAGE_DOWN = ("I can't reach my database right now, so I couldn't take that. Please send it "
                "again in a minute.")
MAX_CHANNELS = 8  # 7.1 surround; more is a multitrack session, not a message
MAX_SAMPLE_RATE = 192_000  # Hz


async def _quiet(event: Event) -> None:
    """Progress sink for callers that show none."""


class Agent:
    """One instance serves every channel; all state lives in memory."""

    def __init__(self, settings: Settings, memory: Memory, planner: Planner, runner: JobRunner,
                 probe: Callable[[Path, float], MediaFacts]) -> None:
        self.settings, self.memory, self.planner = settings, memory, planner
        self.runner, self.probe = runner, probe
        self.access = Access(settings, memory)
        self.paces = Paces(settings.cache_dir / PACE_FILE)  # what the runner's jobs took

    async def handle(self, message: Message, progress: Progress = _quiet,
                     dry_run: bool = False, text_limit: int | None = None,
                     on_voice: VoiceHook | None = None) -> Reply:
        """Answer one message; never raises for anything the user or a model did.

        With dry_run the plan is returned and nothing is executed; past `text_limit`
        characters (one post on the platform) transcripts go as .txt files. A caller that
        plays the reply (a voice channel) passes `on_voice`: the spoken reply then comes
        through it sentence by sentence as each is synthesised, not as `reply.voice`, and
        is not made when the turn made audio of its own (that audio is what is heard).
        """
        started = time.perf_counter()
        try:
            channel = await self.memory.channel(message.channel_id, message.platform,
                                                self.settings.voice_replies)
            message_id = await self.memory.add_message(
                channel.id, "user", message.text, author=message.author,
                user_id=message.user_id, platform_message_id=message.platform_message_id)
            token = logs.message_id.set(message_id)  # log lines of this turn name it
            try:
                reply = await self._answer(channel, message, message_id, progress, dry_run,
                                           text_limit, on_voice)
            finally:
                logs.message_id.reset(token)
        except SQLAlchemyError:  # the database is away: say so, keep serving
            log.exception("turn for %s not completed: the database is unavailable",
                          message.channel_id)
            reply = Reply(channel_id=message.channel_id, text=STORAGE_DOWN,
                          error_code="storage-unavailable")
        TURNS.labels(message.platform, reply.error_code or "ok").inc()
        TURN_SECONDS.labels(message.platform).observe(time.perf_counter() - started)
        return reply

    async def _answer(self, channel: Channel, message: Message, message_id: str,
                      progress: Progress, dry_run: bool, text_limit: int | None,
                      on_voice: VoiceHook | None) -> Reply:
        """The turn's reply, stored, whatever happened on the way."""
        try:
            reply = await self._turn(channel, message, message_id, progress, dry_run,
                                     text_limit, on_voice)
        except AudioGPTError as err:
            logs.failure(log, err, "turn %s", message_id)
            reply = Reply(channel_id=channel.id, text=err.message, error_code=err.code)
        except Exception as err:
            logs.failure(log, err, "turn %s", message_id)
            reply = Reply(channel_id=channel.id, error_code="internal-error",
                          text="Something went wrong on my side. Your message is saved; "
                               "please try again.")
        reply.message_id = await self.memory.add_message(
            channel.id, "assistant", reply.text, reply_to=message_id)
        await self.memory.update_message(
            message_id, status="failed" if reply.error_code else "answered",
            error_code=reply.error_code)
        return reply

    async def keep(self, message: Message) -> list[Artifact]:
        """Store a message's files in its channel without a turn (media posted in a group
        without asking the bot), so later requests can refer to them; unusable files are
        skipped."""
        if not self.access.admits(message):
            return []
        channel = await self.memory.channel(message.channel_id, message.platform,
                                            self.settings.voice_replies)
        message_id = await self.memory.add_message(
            channel.id, "user", message.text, author=message.author, user_id=message.user_id,
            platform_message_id=message.platform_message_id, status="stored")
        kept = []
        for attachment in message.attachments:
            try:
                kept.append(await self._ingest(channel.id, message_id, attachment))
            except InputRejected as err:
                log.info("not kept from message %s: %s", message_id, err.message)
        return kept

    async def _turn(self, channel: Channel, message: Message, message_id: str,
                    progress: Progress, dry_run: bool, text_limit: int | None,
                    on_voice: VoiceHook | None) -> Reply:
        await self.access.check(message)
        await progress(Event(stage=Stage.MODALITY, message="reading your message"))
        if len(message.text) > self.settings.max_text_chars:
            raise InputRejected(f"That message is {len(message.text)} characters long; "
                                f"the limit is {self.settings.max_text_chars}.")
        uploads = [await self._ingest(channel.id, message_id, a) for a in message.attachments]
        text, heard = message.text.strip(), None
        if not text and (audio := [u for u in uploads if u.kind in AUDIO_SOURCES]):
            text = heard = await self._listen(channel.id, message_id, audio[0])
            await self.memory.update_message(message_id, text=heard)

        await progress(Event(stage=Stage.ANALYSIS, message="planning"))
        plan = await self.planner.plan(await self._context(channel.id, text, uploads, message))
        if len(plan.steps) > (cap := self.settings.max_plan_steps):  # before jobs and quotas
            raise plan_too_long(len(plan.steps), cap)
        await self.memory.update_message(message_id, plan=plan.model_dump(mode="json"))
        if plan.steps:
            await self.access.check(message, planned_jobs=len(plan.steps))
        if dry_run:
            return await self._dry_run(channel.id, plan)

        results = await self._execute(channel.id, message_id, plan, progress)
        await progress(Event(stage=Stage.RESPONSE, message="writing the reply"))
        failed = next((r for r in results if r.status == StepStatus.FAILED), None)
        text = compose(plan, results, heard)
        if text_limit is not None and len(text) > text_limit:
            text = await long_reply.fit(self.memory, channel.id, message_id, plan, results,
                                        heard, text_limit)
        reply = Reply(channel_id=channel.id, text=text, plan=plan,
                      steps=results, artifacts=[a for r in results for a in r.artifacts],
                      error_code=failed.error_code if failed else None)
        plays_audio = on_voice is not None and any(a.kind == Kind.AUDIO for a in reply.artifacts)
        if channel.voice_replies and not failed and not plays_audio and (
                say := spoken(plan, results)):
            job = partial(self._job, channel.id, message_id, "voice")
            reply.voice = await speaking.speak(job, say, on_voice)
            # only spoken, where the voice says it all (a longer text is cut before speaking)
            reply.voice_only = channel.voice_only and reply.voice is not None \
                and len(say) <= SPOKEN_REPLY_CHARS
        return reply

    async def _ingest(self, channel_id: str, message_id: str, attachment: Attachment
                      ) -> Artifact:
        """Check an upload by its content and store it as an artifact."""
        name, path, limits = attachment.filename, attachment.path, self.settings
        size = path.stat().st_size if path.is_file() else 0
        if size == 0:
            raise InputRejected(f"{name} is empty.")
        if size > limits.max_upload_bytes:
            raise InputRejected(f"{name} is {size / 2**20:.1f} MB; the limit is "
                                f"{limits.max_upload_bytes / 2**20:.0f} MB.")
        try:  # decodes the sound to measure it: a header's duration can lie
            facts = await asyncio.to_thread(self.probe, path, limits.max_audio_seconds)
        except (MediaError, Unsupported) as err:  # unreadable, or a score too big to sing
            raise InputRejected(f"I can't take {name}: {err}.") from err
        self._check_content(name, facts)
        kind = Kind(facts.kind)
        mime = facts.mime  # by content: a platform's or a name's claim is not trusted
        return await self.memory.add_artifact(
            channel_id, path, kind=kind, mime=mime, producer="upload", label=name,
            message_id=message_id, duration=facts.duration, sample_rate=facts.sample_rate,
            channels=facts.channels)

    def _check_content(self, name: str, facts: MediaFacts) -> None:
        """Length, picture size (decompression bombs) and audio layout within the limits."""
        limits = self.settings
        if facts.duration and facts.duration > limits.max_audio_seconds:
            raise InputRejected(f"{name} is {facts.duration / 60:.1f} minutes long; the limit "
                                f"is {limits.max_audio_seconds / 60:.0f} minutes.")
        pixels = (facts.width or 0) * (facts.height or 0)
        if pixels > limits.max_image_pixels:
            raise InputRejected(f"{name} is {facts.width}×{facts.height} pixels; the limit is "
                                f"{limits.max_image_pixels / 1e6:.0f} megapixels.")
        if (facts.channels or 0) > MAX_CHANNELS or (facts.sample_rate or 0) > MAX_SAMPLE_RATE:
            raise InputRejected(f"{name} is {facts.channels}-channel audio at "
                                f"{facts.sample_rate} Hz; I take up to {MAX_CHANNELS} channels "
                                f"at up to {MAX_SAMPLE_RATE // 1000} kHz.")

    async def _listen(self, channel_id: str, message_id: str, audio: Artifact) -> str:
        """Stage 1 for voice: the recording's transcript is the request."""
        result = await self._job(channel_id, message_id, "input",
                                 PlanStep(task="speech_recognition", args={"audio": audio.handle}))
        if result.status != StepStatus.DONE:
            raise AudioGPTError(result.error or "I couldn't transcribe that.",
                                code=result.error_code or "model-failed")
        if not (result.text or "").strip():
            raise InputRejected("I couldn't hear any words in that recording.")
        return (result.text or "").strip()

    async def _context(self, channel_id: str, text: str, uploads: list[Artifact],
                       message: Message) -> PlanningContext:
        ids, named = {u.id for u in uploads}, set(HANDLE_IN_TEXT.findall(text.lower()))
        # A reply's voice copy is no result: "now slower" means the file the turn made, so
        # the copies are left out unless named by their handle.
        earlier = [a for a in await self.memory.artifacts(channel_id) if a.id not in ids
                   and (a.producer != SPOKEN_REPLY or a.handle in named)]
        turns = await self.memory.recent_turns(channel_id, self.settings.history_turns + 1)
        return PlanningContext(text=text, attachments=uploads, artifacts=earlier,
                               history=turns[:-1], replying_to=message.replying_to,
                               replied_text=message.replied_text,
                               available=[t for t in TASKS if self._runs_here(t)])

    def _runs_here(self, task: str) -> bool:
        """Whether an installed model serves the task (checks files, loads nothing)."""
        try:
            self.runner.check(task)
        except ModelNotInstalled:
            return False
        return True

    async def _execute(self, channel_id: str, message_id: str, plan: Plan, progress: Progress
                       ) -> list[StepResult]:
        """Record every step as a job, check them all, then run them in order."""
        jobs = [await self.memory.add_job(channel_id, message_id, i, step.task, step.args)
                for i, step in enumerate(plan.steps, start=1)]
        try:
            for index, step in enumerate(plan.steps, start=1):
                await self._check_step(channel_id, index, step, inputs=True)
        except AudioGPTError as err:
            for job_id in jobs:
                await self.memory.finish_job(job_id, StepStatus.FAILED, error_code=err.code,
                                             error=err.message)
            raise
        results: list[StepResult] = []
        for index, (job_id, step) in enumerate(zip(jobs, plan.steps, strict=True), start=1):
            if results and results[-1].status != StepStatus.DONE:
                await self.memory.finish_job(job_id, StepStatus.CANCELLED,
                                             error="an earlier step failed")
            else:
                ahead = sum((await self.runner.depths()).values())
                said = await step_note(self.paces, self.memory, channel_id, step, results, ahead)
                await progress(Event(stage=Stage.ASSIGNMENT, message=get_task(step.task).title,
                                     job_id=job_id, step=index, total_steps=len(plan.steps),
                                     note=said))
                await self._run(job_id)
            results.append(await self._result(channel_id, job_id))
        return results

    async def _dry_run(self, channel_id: str, plan: Plan) -> Reply:
        """The plan, checked but not run; a step whose model isn't installed is shown with
        what would install it."""
        missing = []
        for index, step in enumerate(plan.steps, start=1):
            try:
                await self._check_step(channel_id, index, step)
            except ModelNotInstalled as err:
                missing.append(f"Step {index}: {err.message}")
        return Reply(channel_id=channel_id, text="\n".join([describe_plan(plan), *missing]),
                     plan=plan, error_code=ModelNotInstalled.code if missing else None,
                     steps=[StepResult(job_id="", task=s.task, args=s.args,
                                       status=StepStatus.PLANNED) for s in plan.steps])

    async def _check_step(self, channel_id: str, index: int, step: PlanStep,
                          inputs: bool = False) -> None:
        """Registry, arguments, references and an installed model, before anything runs;
        with `inputs`, also the step's own check of the files it is given."""
        spec = get_task(step.task)
        args = spec.validate(step.args)
        refs = media_refs(spec, args)
        for ref in refs.values():
            if (m := STEP_REF.match(ref)) and not 0 < int(m.group(1)) < index:
                raise TaskUnsupported(f"Step {index} uses {ref}, which doesn't come before it.")
            if HANDLE.match(ref) and await self.memory.artifact(
                    channel_id, ref, fetch=False) is None:
                raise InputRejected(f"There is no {ref} in this chat.")
        self.runner.check(step.task, getattr(args, "language", None))
        if inputs:
            given = {name: a for name, ref in refs.items() if HANDLE.match(ref)
                     and (a := await self.memory.artifact(channel_id, ref)) is not None}
            await asyncio.to_thread(self.runner.preflight, step.task, args, given)

    async def _job(self, channel_id: str, message_id: str, purpose: str, step: PlanStep
                   ) -> StepResult:
        """A job outside the plan (the input's transcript, the spoken reply), run now."""
        self.runner.check(step.task)
        job_id = await self.memory.add_job(channel_id, message_id, 0, step.task, step.args,
                                           purpose=purpose)
        await self._run(job_id)
        return await self._result(channel_id, job_id)

    async def _run(self, job_id: str) -> None:
        try:
            await self.runner.run(job_id)
        except JobLost as err:
            await self.memory.finish_job(job_id, StepStatus.FAILED, error_code=err.code,
                                         error=err.message)

    async def _result(self, channel_id: str, job_id: str) -> StepResult:
        job = await self.memory.get_job(job_id)
        assert job is not None
        outputs = job.outputs or {}
        artifacts = [a for h in outputs.get("artifacts", [])
                     if (a := await self.memory.artifact(channel_id, h)) is not None]
        return StepResult(job_id=job.id, task=job.task, args=job.args,
                          status=StepStatus(job.status), text=outputs.get("text"),
                          data=outputs.get("data") or {}, artifacts=artifacts,
                          error_code=job.error_code, error=job.error)
