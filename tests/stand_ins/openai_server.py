"""An OpenAI chat-completions endpoint on 127.0.0.1 that plays a scripted list of behaviours.

    async with OpenAIStandIn() as server:
        server.script(Status(429, retry_after=0.01),
                      ToolCalls([("text_to_speech", {"text": "hi"})]))
        ...  # point a client at server.url; read server.requests afterwards

Standard library and asyncio only; it runs on the test's own event loop.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import deque
from contextlib import suppress
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType
from typing import Any

COMPLETIONS_PATH = "/v1/chat/completions"
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
               404: "not_found_error", 429: "rate_limit_error"}

Payload = tuple[int, dict[str, str], dict[str, Any]]  # status, extra headers, JSON body


@dataclass(frozen=True)
class ToolCalls:
    """An assistant message calling tools in order; a str argument is sent verbatim."""

    calls: list[tuple[str, dict[str, Any] | str]]
    content: str | None = None

    def payload(self, model: str) -> Payload:
        """The HTTP answer."""
        tool_calls = [
            {"id": f"call_{uuid.uuid4().hex[:8]}", "type": "function",
             "function": {"name": name,
                          "arguments": args if isinstance(args, str) else json.dumps(args)}}
            for name, args in self.calls
        ]
        message = {"role": "assistant", "content": self.content, "refusal": None,
                   "tool_calls": tool_calls}
        return 200, {}, _completion(model, message, "tool_calls")


@dataclass(frozen=True)
class Text:
    """A plain assistant answer, no tool calls."""

    content: str

    def payload(self, model: str) -> Payload:
        """The HTTP answer."""
        message = {"role": "assistant", "content": self.content, "refusal": None}
        return 200, {}, _completion(model, message, "stop")


@dataclass(frozen=True)
class Status:
    """An OpenAI-style error answer, with an optional Retry-After (seconds, may be fractional)."""

    code: int
    retry_after: float | None = None
    message: str = "Scripted error from the stand-in."

    def payload(self, model: str) -> Payload:
        """The HTTP answer."""
        headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        error = {"message": self.message, "type": ERROR_TYPES.get(self.code, "server_error"),
                 "param": None, "code": None}
        return self.code, headers, {"error": error}


@dataclass(frozen=True)
class Slow:
    """Wait this long before answering (to outlast a client's timeout)."""

    seconds: float
    then: ToolCalls | Text | Status = Text("Sorry for the wait.")

    def payload(self, model: str) -> Payload:
        """The HTTP answer, once the wait is over."""
        return self.then.payload(model)


Behaviour = ToolCalls | Text | Status | Slow


def _completion(model: str, message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    completion_tokens = len(json.dumps(message)) // 4
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 0, "completion_tokens": completion_tokens,
                  "total_tokens": completion_tokens},
        "system_fingerprint": None,
    }


class OpenAIStandIn:
    """A scripted chat-completions server; records every request it receives."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []  # JSON bodies, in arrival order
        self.headers: list[dict[str, str]] = []  # lower-cased names, same order
        self.overruns = 0  # requests that arrived after the script ran out
        self._script: deque[Behaviour] = deque()
        self._server: asyncio.Server | None = None
        self._closing = asyncio.Event()
        self._arrival = asyncio.Condition()
        self._connections: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    @property
    def url(self) -> str:
        """The base URL a client takes, ending in /v1."""
        assert self._server is not None, "start the stand-in first"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/v1"

    @property
    def pending(self) -> int:
        """Scripted behaviours not yet played."""
        return len(self._script)

    def script(self, *behaviours: Behaviour) -> None:
        """Queue answers; each request takes the next one."""
        self._script.extend(behaviours)

    async def wait_for_requests(self, count: int = 1) -> None:
        """Return once `count` requests have arrived."""
        async with self._arrival:
            await self._arrival.wait_for(lambda: len(self.requests) >= count)

    async def start(self) -> None:
        """Listen on a free port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def stop(self) -> None:
        """Stop listening and drop open connections (a Slow answer still waiting included)."""
        if self._server is None:
            return
        # Closing the sockets ends the handlers; cancelling them instead trips an asyncio
        # bug in Python 3.11 (a cancelled handler task raises inside its done callback).
        self._server.close()
        self._closing.set()
        for writer in self._connections.values():
            writer.close()
        await asyncio.gather(*self._connections)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> OpenAIStandIn:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        try:
            while not self._closing.is_set():
                status, headers, body = await self._answer(*await _read_request(reader))
                if self._closing.is_set():
                    break
                writer.write(_encode(status, headers, body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client hung up (done, or tired of waiting) or the stand-in is stopping
        finally:
            del self._connections[task]
            writer.close()
            with suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, method: str, path: str, headers: dict[str, str], raw: bytes
                      ) -> Payload:
        if (method, path) != ("POST", COMPLETIONS_PATH):
            return Status(404, message=f"The stand-in only serves POST {COMPLETIONS_PATH}."
                          ).payload("")
        body = json.loads(raw)
        self.requests.append(body)
        self.headers.append(headers)
        async with self._arrival:
            self._arrival.notify_all()
        if not self._script:
            self.overruns += 1
            return Status(500, message="The stand-in's script ran out.").payload("")
        behaviour = self._script.popleft()
        if isinstance(behaviour, Slow):
            with suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), behaviour.seconds)
        return behaviour.payload(str(body.get("model", "")))


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str, dict[str, str], bytes]:
    """Method, path, headers and body of the next request (IncompleteReadError at EOF)."""
    head = await reader.readuntil(b"\r\n\r\n")
    request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return method, path, headers, body


def _encode(status: int, headers: dict[str, str], body: dict[str, Any]) -> bytes:
    content = json.dumps(body).encode()
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
             "Content-Type: application/json",
             f"Content-Length: {len(content)}",
             f"x-request-id: req_{uuid.uuid4().hex[:16]}",
             *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content
