"""Files from the page, checked before anything is kept.

An upload streams into a private staging folder and is cut off the moment it passes the
size limit, or the room its browser (or the server) has left for staged files; then its
first bytes must be a known audio, video or picture container and ffprobe must read it.
Only then is it staged, under a random id, until a message takes it into a turn (the agent
stores its own copy as an artifact, and the staged file goes when the turn ends) or it goes
stale. Staged files count against their browser's room until they are gone.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio

from core_agent.config import Settings
from core_agent.errors import InputRejected, MediaError, Unsupported
from core_agent.ports import MediaFacts
from core_agent.types import Attachment

MAX_NAME_CHARS = 120


class UploadRejected(InputRejected):
    """An upload that was refused, with the HTTP status and what to tell the user."""

    code = "upload-rejected"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Staged:
    """A checked upload waiting for its message."""

    id: str
    path: Path
    name: str
    kind: str  # audio | video | image
    mime: str
    size: int  # bytes
    owner: str  # the browser that sent it

    def attachment(self) -> Attachment:
        """What the agent receives."""
        return Attachment(path=self.path, filename=self.name)


class Staging:
    """Checked uploads by id, in a folder of their own that goes away on close."""

    def __init__(self, settings: Settings, probe: Callable[[Path, float], MediaFacts]
                 ) -> None:
        self.limit, self.probe = settings.max_upload_bytes, probe
        self.max_seconds = settings.max_audio_seconds
        self.per_owner = settings.web_staged_bytes_per_client
        self.total = settings.web_staged_bytes_total
        self.stale_after = settings.web_upload_stale_seconds
        self.folder = Path(tempfile.mkdtemp(prefix="audiogpt-web-"))
        self._waiting: dict[str, tuple[Staged, asyncio.TimerHandle]] = {}
        self._held: Counter[str] = Counter()  # bytes on disk (or streaming in) per owner

    async def receive(self, owner: str, name: str, chunks: AsyncIterator[bytes],
                      declared: int | None) -> Staged:
        """Stream an upload in under the size limit and the caps, and check its content."""
        name = Path(name).name[:MAX_NAME_CHARS] or "upload"
        too_large = UploadRejected(413, f"{name} is larger than the {_size(self.limit)} "
                                        "upload limit; nothing was stored.")
        if declared is not None and declared > self.limit:
            raise too_large
        held = declared or 0  # bytes of this upload counted in its owner's room
        self._hold(owner, name, held)
        upload_id = secrets.token_urlsafe(12)
        part = self.folder / f"{upload_id}.part"
        size = 0
        try:
            async with await anyio.open_file(part, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > self.limit:
                        raise too_large
                    if size > held:
                        self._hold(owner, name, size - held)
                        held = size
                    await out.write(chunk)
            staged = await self._check(upload_id, part, name, size, owner)
        except BaseException:
            self._free(owner, held)
            raise
        finally:
            part.unlink(missing_ok=True)
        self._free(owner, held - size)
        expiry = asyncio.get_running_loop().call_later(self.stale_after, self._expire, upload_id)
        self._waiting[upload_id] = (staged, expiry)
        return staged

    def _hold(self, owner: str, name: str, more: int) -> None:
        """Count `more` bytes in the owner's room, or refuse the upload if they don't fit."""
        if self._held[owner] + more > self.per_owner:
            raise UploadRejected(429, f"{name} wasn't stored: your uploads not yet sent (or "
                                      f"in a running turn) would pass {_size(self.per_owner)}; "
                                      "send them or try again in a few minutes.")
        if sum(self._held.values()) + more > self.total:
            raise UploadRejected(507, f"{name} wasn't stored: the server holds too many "
                                      "uploads right now; please try again in a few minutes.")
        self._held[owner] += more

    async def _check(self, upload_id: str, part: Path, name: str, size: int, owner: str
                     ) -> Staged:
        if size == 0:
            raise UploadRejected(400, f"{name} is empty; nothing was stored.")
        path, kind, mime = await asyncio.to_thread(self._identify, part, name)  # ffmpeg blocks
        return Staged(upload_id, path, name, kind, mime, size, owner)

    def _identify(self, part: Path, name: str) -> tuple[Path, str, str]:
        """A known container that ffprobe reads, renamed to its suffix: (path, kind, MIME).
        UploadRejected, with the reason, for unknown first bytes (refused before ffprobe
        runs), unreadable content or sound past the length limit."""
        try:
            facts = self.probe(part, self.max_seconds)
        except (MediaError, Unsupported) as err:  # unreadable, or a score too big to sing
            raise UploadRejected(415, f"I can't take {name}: {err}; nothing was stored."
                                 ) from err
        return part.rename(part.with_suffix(facts.suffix)), facts.kind, facts.mime

    def take(self, ids: list[str]) -> list[Staged]:
        """Hand over staged uploads for a turn (they stay counted until `release`); KeyError
        names an unknown id."""
        missing = [i for i in ids if i not in self._waiting]
        if missing:
            raise KeyError(missing[0])
        taken = [self._waiting.pop(i) for i in ids]
        for _, expiry in taken:
            expiry.cancel()
        return [staged for staged, _ in taken]

    def release(self, uploads: list[Staged]) -> None:
        """Remove the staged files of a turn that has ended (the agent keeps its own copy)."""
        for staged in uploads:
            staged.path.unlink(missing_ok=True)
            self._free(staged.owner, staged.size)

    def _expire(self, upload_id: str) -> None:
        staged, _ = self._waiting.pop(upload_id)
        self.release([staged])

    def _free(self, owner: str, size: int) -> None:
        self._held[owner] -= size
        if self._held[owner] <= 0:
            del self._held[owner]

    def close(self) -> None:
        """Remove every staged file."""
        for _, expiry in self._waiting.values():
            expiry.cancel()
        self._waiting.clear()
        self._held.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def _size(n: int) -> str:
    return f"{n / 2**20:.0f} MB" if n >= 2**20 else f"{n / 1024:.0f} KB"
