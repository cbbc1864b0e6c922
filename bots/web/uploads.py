"""Files from the page, checked before anything is kept.

An upload streams into a private staging folder and is cut off the moment it passes the
size limit; then its first bytes must be a known audio, video or picture container and
ffprobe must read it. Only then is it staged, under a random id, until a message sends it
(the agent then stores it as an artifact) or it goes stale.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio

from core_agent.agent import MediaFacts
from core_agent.types import Attachment

STALE_AFTER = 3600.0  # seconds an upload waits for the message that sends it
MAX_NAME_CHARS = 120


class UploadRejected(Exception):
    """An upload that was refused, with the HTTP status and what to tell the user."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class Staged:
    """A checked upload waiting for its message."""

    id: str
    path: Path
    name: str
    kind: str  # audio | video | image
    mime: str
    at: float = field(default_factory=time.monotonic)

    def attachment(self) -> Attachment:
        """What the agent receives."""
        return Attachment(path=self.path, filename=self.name)


class Staging:
    """Checked uploads by id, in a folder of their own that goes away on close."""

    def __init__(self, limit: int, probe: Callable[[Path], MediaFacts]) -> None:
        self.limit, self.probe = limit, probe
        self.folder = Path(tempfile.mkdtemp(prefix="audiogpt-web-"))
        self._staged: dict[str, Staged] = {}

    async def receive(self, name: str, chunks: AsyncIterator[bytes], declared: int | None
                      ) -> Staged:
        """Stream an upload in under the size limit and check its content."""
        self._drop_stale()
        name = Path(name).name[:MAX_NAME_CHARS] or "upload"
        too_large = UploadRejected(413, f"{name} is larger than the {_size(self.limit)} "
                                        "upload limit; nothing was stored.")
        if declared is not None and declared > self.limit:
            raise too_large
        upload_id = secrets.token_urlsafe(12)
        part = self.folder / f"{upload_id}.part"
        try:
            size = 0
            async with await anyio.open_file(part, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.limit:
                        raise too_large
                    await out.write(chunk)
            staged = await self._check(upload_id, part, name, size)
        finally:
            part.unlink(missing_ok=True)
        self._staged[upload_id] = staged
        return staged

    async def _check(self, upload_id: str, part: Path, name: str, size: int) -> Staged:
        if size == 0:
            raise UploadRejected(400, f"{name} is empty; nothing was stored.")
        found = await asyncio.to_thread(self._identify, part)  # ffprobe blocks
        if found is None:
            raise UploadRejected(415, f"{name} isn't audio, video or a picture I can read; "
                                      "nothing was stored.")
        path, kind, mime = found
        return Staged(upload_id, path, name, kind, mime)

    def _identify(self, part: Path) -> tuple[Path, str, str] | None:
        """A known container that ffprobe reads, renamed to its suffix: (path, kind, MIME)."""
        try:
            facts = self.probe(part)  # refuses unknown first bytes before ffprobe runs
        except ValueError:
            return None
        return part.rename(part.with_suffix(facts.suffix)), facts.kind, facts.mime

    def take(self, ids: list[str]) -> list[Staged]:
        """Hand over staged uploads for a message; KeyError names an unknown id."""
        missing = [i for i in ids if i not in self._staged]
        if missing:
            raise KeyError(missing[0])
        return [self._staged.pop(i) for i in ids]

    def _drop_stale(self) -> None:
        now = time.monotonic()
        for staged in [s for s in self._staged.values() if now - s.at > STALE_AFTER]:
            del self._staged[staged.id]
            staged.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Remove every staged file."""
        self._staged.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"
