"""A worker's /healthz and /metrics, on a small HTTP server in a thread of its own.

/healthz answers 200 once the worker takes jobs (a second or two after it starts) and Redis
answers, 503 before that or while Redis is away; `ready` says whether its models are loaded
(they load in the background; a job that needs one first waits for it) and `loading` which
are not yet. /metrics is Prometheus's text format, with queue depths read from Redis at each
scrape.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

from core_agent.metrics import exposition
from core_agent.preload import Preload
from workers.queues import REDIS_TIMEOUT, queue_depths

log = logging.getLogger(__name__)


class WorkerStatus:
    """What /healthz reports: which queue and tasks, whether the worker takes jobs, and
    whether its models are loaded."""

    def __init__(self, redis_url: str, queue: str, tasks: list[str], preload: Preload) -> None:
        self.redis_url, self.queue, self.tasks, self.preload = redis_url, queue, tasks, preload
        self.serving = threading.Event()  # set once arq's worker has started

    def health(self) -> tuple[int, dict[str, Any]]:
        """The status code and body of /healthz."""
        redis_ok = _ping(self.redis_url)
        ok = self.serving.is_set() and redis_ok
        return (200 if ok else 503), {"ok": ok, **self.preload.health(), "redis": redis_ok,
                                      "queue": self.queue, "tasks": self.tasks}


def _ping(redis_url: str) -> bool:
    client = Redis.from_url(redis_url, socket_timeout=REDIS_TIMEOUT,
                            socket_connect_timeout=REDIS_TIMEOUT)
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


def serve_health(status: WorkerStatus, host: str, port: int) -> ThreadingHTTPServer:
    """Start the server in a daemon thread and return it (shutdown() stops it)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            """/healthz or /metrics."""
            if self.path == "/healthz":
                code, body = status.health()
                self._send(code, json.dumps(body).encode(), "application/json")
            elif self.path == "/metrics":
                page, kind = exposition(queue_depths(status.redis_url, [status.queue]))
                self._send(200, page, kind)
            else:
                self._send(404, b"not found\n", "text/plain")

        def _send(self, code: int, body: bytes, kind: str) -> None:
            self.send_response(code)
            self.send_header("content-type", kind)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # scrapes stay out of logs
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="worker-health", daemon=True).start()
    log.info("worker metrics on http://%s:%d/metrics", host, port)
    return server
