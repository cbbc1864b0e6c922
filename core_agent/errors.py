"""Typed, coded errors, one per stage; each ends as a short reply in the thread."""

from __future__ import annotations


class AudioGPTError(Exception):
    """Base error: a stable code for logs and a message fit to show the user."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class InputRejected(AudioGPTError):
    """A file or request we will not process (corrupt, empty, too large, too long)."""

    code = "input-rejected"


class AccessDenied(AudioGPTError):
    """The user or the place is not on the deployment's allow-lists."""

    code = "access-denied"


class QuotaExceeded(AudioGPTError):
    """The user or channel has used its jobs or compute for now."""

    code = "quota-exceeded"


class PlannerError(AudioGPTError):
    """The planner could not produce a usable plan (LLM down, malformed tool call)."""

    code = "planner-failed"


class TaskUnsupported(AudioGPTError):
    """A task id outside the registry, or arguments that do not fit its schema."""

    code = "task-unsupported"


class ModelNotInstalled(AudioGPTError):
    """No installed backend can run the task."""

    code = "model-not-installed"


class ModelFailed(AudioGPTError):
    """A backend raised or produced nothing usable."""

    code = "model-failed"


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
