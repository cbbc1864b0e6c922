"""A file's sound as float32 PCM from a contained ffmpeg child, and a memo of the samples
just decoded, so the next reader of the same file needs no second child.

An upload is decoded at ingest to count its real length (`media/probe.py`), and speech
recognition then needs the very same samples (`media/decode.py`). Entries are keyed by the
file's content, a digest of its bytes, not by its path: ingest stores a copy of the upload,
and a file changed on disk has another digest. The memo lives in this process only; a
worker on another machine decodes again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from media import ffmpeg

MEMO_BYTES = 32 * 2**20  # samples kept in all
ENTRY_BYTES = 16 * 2**20  # the most one file keeps: about 4.4 minutes of 16 kHz mono
DIGEST_CHUNK = 1 << 20  # bytes read at a time to hash a file


def pcm_args(path: Path, sample_rate: int, channels: int = 1) -> list[str]:
    """ffmpeg reading one of our files (contained as `media/ffmpeg.py` says) and writing its
    sound as interleaved float32 at `sample_rate` to stdout."""
    return ["ffmpeg", "-nostdin", "-v", "error", *ffmpeg.input_args(path), "-vn",
            "-ac", str(channels), "-ar", str(sample_rate), "-f", "f32le", "-"]


def identity(path: Path) -> tuple[int, int]:
    """The file's size and modification time (ns): what a change on disk moves."""
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def digest(path: Path) -> bytes:
    """A digest of the file's bytes."""
    hasher = hashlib.blake2b(digest_size=16)
    with path.open("rb") as source:
        while chunk := source.read(DIGEST_CHUNK):
            hasher.update(chunk)
    return hasher.digest()


class Kept:
    """A decode's stdout as it arrives (an `ffmpeg.run` sink): counted, and kept while it
    is no longer than `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit, self.total = limit, 0
        self._parts: list[bytes] = []

    def __call__(self, chunk: bytes) -> None:
        self.total += len(chunk)
        if self.total <= self.limit:
            self._parts.append(chunk)
        else:
            self._parts.clear()

    @property
    def frames(self) -> int:
        """Mono float32 samples seen."""
        return self.total // 4

    def samples(self) -> np.ndarray | None:
        """What was kept as mono float32, or None if it ran past the limit."""
        if not self._parts:
            return None
        return np.frombuffer(b"".join(self._parts)[: self.frames * 4], dtype=np.float32)


class Memo:
    """Mono samples by (file size, content digest, rate), the newest kept within a byte
    budget; thread-safe."""

    def __init__(self, capacity: int = MEMO_BYTES, entry_limit: int = ENTRY_BYTES) -> None:
        self.capacity, self.entry_limit = capacity, entry_limit
        self._entries: OrderedDict[tuple[int, bytes, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, path: Path, sample_rate: int, samples: np.ndarray,
            before: tuple[int, int]) -> None:
        """Keep the samples decoded from `path`, whose identity was `before` when the decoding
        began; a file changed meanwhile, or too long to keep, is not kept."""
        if samples.nbytes > self.entry_limit or identity(path) != before:
            return
        key = (before[0], digest(path), sample_rate)
        kept = samples.copy()
        kept.setflags(write=False)
        with self._lock:
            self._entries[key] = kept
            self._entries.move_to_end(key)
            total = sum(s.nbytes for s in self._entries.values())
            while total > self.capacity:
                total -= self._entries.popitem(last=False)[1].nbytes

    def get(self, path: Path, sample_rate: int) -> np.ndarray | None:
        """A copy of the samples kept for this content at this rate, or None. The file is
        hashed only when something of its size is kept."""
        size = path.stat().st_size
        with self._lock:
            if not any(key[0] == size and key[2] == sample_rate for key in self._entries):
                return None
        key = (size, digest(path), sample_rate)
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
        return found.copy()

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


MEMO = Memo()
