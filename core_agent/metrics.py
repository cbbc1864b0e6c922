"""Prometheus metrics of the bot and the workers, one process-wide registry each.

Turns are counted where the agent answers them, jobs where they run (the bot process with
in-process jobs, else the worker), models where they load; queue depth is read from Redis
by the runner or worker when scraped.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest

# Seconds: from a fraction of a second (espeak-ng) to minutes (a long Whisper job).
SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 180.0, 600.0)

TURNS = Counter("audiogpt_turns", "Turns answered, by platform and outcome "
                "(ok or the error code).", ["platform", "outcome"])
TURN_SECONDS = Histogram("audiogpt_turn_seconds", "Wall time of a turn.", ["platform"],
                         buckets=SECONDS)
JOBS = Counter("audiogpt_jobs", "Jobs run to a final state, by task and outcome "
               "(done or the error code).", ["task", "outcome"])
INFERENCE_SECONDS = Histogram("audiogpt_inference_seconds", "Time a job spent in its model.",
                              ["task", "backend"], buckets=SECONDS)
MODEL_LOAD_SECONDS = Histogram("audiogpt_model_load_seconds", "Time a backend took to load.",
                               ["backend"], buckets=SECONDS)
MODEL_RESIDENT_BYTES = Gauge("audiogpt_model_resident_bytes",
                             "Memory a loaded backend added at load.", ["backend"])
MODEL_EVICTIONS = Counter("audiogpt_model_evictions", "Backends dropped to stay within the "
                          "memory budget.", ["backend"])
QUEUE_DEPTH = Gauge("audiogpt_queue_depth", "Jobs waiting on an arq queue.", ["queue"])


class ModelMetrics:
    """A BackendCache listener that records loads and evictions."""

    def loaded(self, name: str, seconds: float, size: int) -> None:
        """A backend loaded."""
        MODEL_LOAD_SECONDS.labels(name).observe(seconds)
        MODEL_RESIDENT_BYTES.labels(name).set(size)

    def evicted(self, name: str) -> None:
        """A backend dropped from the cache."""
        MODEL_EVICTIONS.labels(name).inc()
        MODEL_RESIDENT_BYTES.remove(name)


MODELS = ModelMetrics()


def exposition(depths: dict[str, int] | None = None) -> tuple[bytes, str]:
    """The metrics page and its content type, with the queue depths read for this scrape."""
    for queue, depth in (depths or {}).items():
        QUEUE_DEPTH.labels(queue).set(depth)
    return generate_latest(), CONTENT_TYPE_LATEST
