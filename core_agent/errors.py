"""The one error hierarchy: every error a user or an operator can cause is an AudioGPTError
with a stable code (for logs, metrics and the job's record) and a message fit to show. Each
ends as a short reply in the thread, or, for settings, as a line at start-up. Models and
media raise these classes too; the worker words theirs for the user (`workers/jobs.py`)."""

from __future__ import annotations


class AudioGPTError(Exception):
    """Base error: a stable code for logs and a message fit to show the user."""

    code = "error"
    by_user = False  # what the user sent or asked for caused it: logged as a plain INFO line

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InputRejected(AudioGPTError):
    """A file or request we will not process (corrupt, empty, too large, too long)."""

    code = "input-rejected"
    by_user = True


class MediaError(InputRejected):
    """A file that cannot be decoded or is not the media it should be."""

    code = "media-unreadable"


class AttachmentNotTaken(InputRejected):
    """A user's attachment the platform would not hand over (over the upload limit, never
    downloaded, or unreachable); the message says why, for the user."""

    code = "attachment-not-taken"


class SettingsError(AudioGPTError):
    """The settings lack what the chosen mode needs, or ask for something unsafe; said at
    start-up, before anything runs."""

    code = "bad-settings"


class AccessDenied(AudioGPTError):
    """The user or the place is not on the deployment's allow-lists."""

    code = "access-denied"
    by_user = True


class QuotaExceeded(AudioGPTError):
    """The user or channel has used its jobs or compute for now."""

    code = "quota-exceeded"
    by_user = True


class PlannerError(AudioGPTError):
    """The planner could not produce a usable plan (LLM down, malformed tool call)."""

    code = "planner-failed"


class TaskUnsupported(AudioGPTError):
    """A task id outside the registry, or arguments that do not fit its schema."""

    code = "task-unsupported"
    by_user = True


class ModelNotInstalled(AudioGPTError):
    """No installed backend can run the task."""

    code = "model-not-installed"
    by_user = True


class BackendUnavailable(ModelNotInstalled):
    """A backend's package or weights are missing; the message says how to install it."""

    def __init__(self, model: str, hint: str) -> None:
        super().__init__(f"{model} is not installed. Install it with: {hint}")
        self.model = model
        self.hint = hint


class Unsupported(AudioGPTError):
    """A request the backend cannot serve (a language, a voice, a format)."""

    code = "backend-unsupported"
    by_user = True


class ModelFailed(AudioGPTError):
    """A backend raised or produced nothing usable."""

    code = "model-failed"


class CheckpointMismatch(ModelFailed):
    """Checkpoint files that do not fit the hand-ported network meant to load them (or are
    not a checkpoint at all); the message says what is wrong."""

    code = "checkpoint-mismatch"


class JobLost(AudioGPTError):
    """A job did not finish in time or its worker vanished."""

    code = "job-lost"


class StorageError(AudioGPTError):
    """The media storage (the local folder or an S3-compatible bucket) failed."""

    code = "storage-failed"


class JobTimedOut(JobLost):
    """A step ran past the job timeout and was stopped."""

    code = "job-timeout"


class QueueUnavailable(JobLost):
    """The job queue (Redis) could not be reached to hand the job to a worker."""

    code = "queue-unavailable"
