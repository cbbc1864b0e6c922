"""Every ffmpeg and ffprobe child runs here, contained.

- It opens exactly the file it was given: the demuxer is the one the file's header proves
  (`media/containers.py`), the only protocol is `file`, and the name is passed as a
  `file:` URL, so no playlist, concat script, image sequence, reference or URL inside a
  file can make it open another.
- Its memory and CPU are capped by the kernel, its output is read as it comes and cut at
  a limit, and a stopped step (`models/stop.py`) kills it.
- What it says on failure reaches users without server paths.
"""

from __future__ import annotations

import re
import resource
import subprocess
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from core_agent.errors import MediaError
from media.containers import identify, read_head
from models import stop

TIMEOUT = 300  # seconds of wall clock for any one call
MEMORY_LIMIT = 2 * 2**30  # bytes of heap a child may map; real media needs a fraction
CPU_LIMIT = 2 * TIMEOUT  # CPU-seconds, for a child that spins inside its time
READ_CHUNK = 1 << 20
_PATH = re.compile(r"(?:file:)?/[^\s:,'\"]+")


def input_args(path: Path) -> list[str]:
    """ffmpeg's input options for one of our files: its proven demuxer, the file protocol
    alone, and no external references (QuickTime's drefs are off by default; said again
    here). MediaError if the header proves no container we take."""
    container = identify(read_head(path))
    if container is None:
        raise MediaError("it isn't audio, video or a picture I can read")
    extra = ["-enable_drefs", "0"] if container.demuxer == "mov" else []
    return ["-protocol_whitelist", "file", "-f", container.demuxer, *extra,
            "-i", f"file:{path.resolve()}"]


def run(args: list[str], stdin: Iterable[bytes] | None = None, limit: int | None = None,
        sink: Callable[[bytes], object] | None = None) -> tuple[bytes, str]:
    """Run ffmpeg or ffprobe and return (stdout, stderr); MediaError on failure.

    `stdin` chunks (raw frames, say) are written before stdout is read, so a call that
    feeds stdin writes its output to a file.

    With `limit`, stdout is cut after that many bytes: the child is killed and
    OutputTooLong raised, so what a file really decodes to is never held past the limit.
    With `sink`, stdout goes to it chunk by chunk instead (and b"" is returned).
    """
    child = subprocess.Popen(args, stdin=subprocess.PIPE if stdin is not None else
                             subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    _contain(child.pid)
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        child.kill()

    timer = threading.Timer(TIMEOUT, expire)
    timer.start()
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(_read_all(child.stderr)),
                             daemon=True)
    drain.start()
    try:
        with stop.watching(child):
            if stdin is not None:
                _feed(child, stdin)
            out, too_long = _read(child, limit, sink)
            code = child.wait()
    finally:
        timer.cancel()
        if child.poll() is None:
            child.kill()
            child.wait()
        drain.join()
        for stream in (child.stdout, child.stderr, child.stdin):
            if stream is not None:
                stream.close()
    stop.check()  # a stopped step's killed child is not a broken file
    name = Path(args[0]).name
    if expired.is_set():
        raise MediaError(f"{name} took longer than {TIMEOUT} s")
    if too_long:
        raise OutputTooLong(limit or 0)
    said = errors[0].decode(errors="replace") if errors else ""
    if code < 0:
        raise MediaError(f"{name} went past its memory or CPU limit on the file")
    if code != 0:
        raise MediaError(f"{name} could not read the file ({_last_line(said)})")
    return out, said


class OutputTooLong(MediaError):
    """The decoded output passed the limit it was read under."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"it decodes to more than {limit} bytes")
        self.limit = limit


def _contain(pid: int) -> None:
    """Kernel limits on a child just started: heap and CPU time."""
    try:
        resource.prlimit(pid, resource.RLIMIT_DATA, (MEMORY_LIMIT, MEMORY_LIMIT))
        resource.prlimit(pid, resource.RLIMIT_CPU, (CPU_LIMIT, CPU_LIMIT))
    except ProcessLookupError:  # it ended already
        pass


def _feed(child: subprocess.Popen[bytes], chunks: Iterable[bytes]) -> None:
    assert child.stdin is not None
    try:
        for chunk in chunks:
            child.stdin.write(chunk)
        child.stdin.close()
    except BrokenPipeError:
        pass


def _read(child: subprocess.Popen[bytes], limit: int | None,
          sink: Callable[[bytes], object] | None) -> tuple[bytes, bool]:
    assert child.stdout is not None
    parts: list[bytes] = []
    keep, size = sink or parts.append, 0
    while chunk := child.stdout.read(READ_CHUNK):
        size += len(chunk)
        if limit is not None and size > limit:
            child.kill()
            return b"", True
        keep(chunk)
    return b"".join(parts), False


def _read_all(stream: object) -> bytes:
    return stream.read() if stream is not None else b""  # type: ignore[attr-defined]


def _last_line(said: str) -> str:
    """ffmpeg's last complaint, without the server paths it names."""
    lines = [line.strip() for line in said.strip().splitlines() if line.strip()]
    if not lines:
        return "no output"
    line = _PATH.sub("", lines[-1]).lstrip(": ").strip()
    return line or "no output"
