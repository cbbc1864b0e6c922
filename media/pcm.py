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
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

from media import ffmpeg

MEMO_BYTES = 32 * 2**20  # samples kept in all
ENTRY_BYTES = 16 * 2**20  # the most one file keeps: about 4.4 minutes of 16 kHz mono
DIGEST_CHUNK = 1 << 20  # bytes read at a time to hash a file
T = TypeVar("T")


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


class ByContent(Generic[T]):
    """Values by a file's content (its size and a digest of its bytes) and a tag, the newest
    kept within `capacity` (of what `weight` counts); thread-safe. A lookup hashes the file
    only when something of its size and tag is kept."""

    def __init__(self, capacity: int, weight: Callable[[T], int]) -> None:
        self.capacity, self._weight = capacity, weight
        self._entries: OrderedDict[tuple[int, bytes, Hashable], T] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, path: Path, tag: Hashable, value: T) -> None:
        """Keep the value for the file's content as it is now, the oldest going past the
        capacity."""
        key = (path.stat().st_size, digest(path), tag)
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            total = sum(self._weight(v) for v in self._entries.values())
            while total > self.capacity:
                total -= self._weight(self._entries.popitem(last=False)[1])

    def find(self, path: Path, tag: Hashable) -> T | None:
        """The value kept for this content and tag, or None."""
        size = path.stat().st_size
        with self._lock:
            if not any(key[0] == size and key[2] == tag for key in self._entries):
                return None
        key = (size, digest(path), tag)  # hashed outside the lock
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
        return found

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


class Memo(ByContent[np.ndarray]):
    """Mono samples by content and rate, within a byte budget."""

    def __init__(self, capacity: int = MEMO_BYTES, entry_limit: int = ENTRY_BYTES) -> None:
        super().__init__(capacity, lambda samples: samples.nbytes)
        self.entry_limit = entry_limit

    def put(self, path: Path, sample_rate: int, samples: np.ndarray,
            before: tuple[int, int]) -> None:
        """Keep the samples decoded from `path`, whose identity was `before` when the decoding
        began; a file changed meanwhile, or too long to keep, is not kept."""
        if samples.nbytes > self.entry_limit or identity(path) != before:
            return
        kept = samples.copy()
        kept.setflags(write=False)
        self.keep(path, sample_rate, kept)

    def get(self, path: Path, sample_rate: int) -> np.ndarray | None:
        """A copy of the samples kept for this content at this rate, or None."""
        found = self.find(path, sample_rate)
        return None if found is None else found.copy()


MEMO = Memo()
