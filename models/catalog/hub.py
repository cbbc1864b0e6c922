"""`audiogpt models pull`: fetch a catalog checkpoint from a Hugging Face compatible hub.

The revision is resolved to a commit first, so every file comes from the same snapshot.
Each file is checked against the hub's own record of it (the SHA-256 of large files, the
git blob hash of small ones), downloads resume from a `.part` file after an interruption,
and the manifest is written last: a folder with a manifest is complete.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import logging
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core_agent.errors import ModelNotInstalled
from models.catalog.checkpoints import MANIFEST, CatalogEntry

log = logging.getLogger(__name__)
CHUNK = 1 << 20
Progress = Callable[[str, int, int], None]  # file path, bytes done, bytes in all


class PullError(ModelNotInstalled):
    """The hub could not be reached, refused, or sent something that fails its checksum."""

    code = "pull-failed"


@dataclass(frozen=True)
class RemoteFile:
    """A file of a snapshot, as the hub lists it."""

    path: str
    size: int
    sha256: str | None  # large (LFS) files
    git_oid: str  # every file: its git blob hash

    def check(self, digest: Digest) -> None:
        """PullError unless the bytes are the ones the hub lists."""
        want, got = (self.sha256, digest.sha256()) if self.sha256 else \
            (self.git_oid, digest.git_oid())
        if got != want:
            raise PullError(f"{self.path} failed its checksum (expected {want}, got {got})")


class Digest:
    """SHA-256 and the git blob hash of a file, fed in pieces."""

    def __init__(self, size: int) -> None:
        self._sha256 = hashlib.sha256()
        self._git = hashlib.sha1(f"blob {size}\0".encode(), usedforsecurity=False)

    def update(self, data: bytes) -> None:
        self._sha256.update(data)
        self._git.update(data)

    def sha256(self) -> str:
        return self._sha256.hexdigest()

    def git_oid(self) -> str:
        return self._git.hexdigest()


class Hub:
    """A Hugging Face compatible endpoint (the real hub, a mirror, or a local one)."""

    def __init__(self, endpoint: str, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # httpx drops the token on redirects to other hosts (the hub's file CDN).
        self.client = httpx.Client(base_url=endpoint.rstrip("/"), headers=headers,
                                   timeout=timeout, follow_redirects=True)

    def close(self) -> None:
        self.client.close()

    def _get(self, url: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.get(url, **kwargs)
        except httpx.HTTPError as err:
            raise PullError(f"the hub could not be reached ({type(err).__name__})") from err
        if response.status_code in (401, 403):
            raise PullError("the hub refused access: the model may be gated; accept its "
                            "licence on its page and set HF_TOKEN")
        if response.status_code == 404:
            raise PullError(f"the hub has no {url}")
        if response.is_error:
            raise PullError(f"the hub answered {response.status_code} for {url}")
        return response

    def snapshot(self, entry: CatalogEntry) -> tuple[str, list[RemoteFile]]:
        """The commit a revision points at, and the files of it the entry needs."""
        commit = self._get(f"/api/models/{entry.repo}/revision/{entry.revision}").json()["sha"]
        listed: list[dict[str, Any]] = []
        url: str | None = f"/api/models/{entry.repo}/tree/{commit}?recursive=true"
        while url:  # the listing is paged through Link headers
            response = self._get(url)
            listed += response.json()
            url = response.links.get("next", {}).get("url")
        files = [RemoteFile(item["path"], int(item["size"]),
                            (item.get("lfs") or {}).get("oid"), item["oid"])
                 for item in listed if item.get("type") == "file"
                 and any(fnmatch.fnmatch(item["path"], p) for p in entry.files)]
        if not files:
            raise PullError(f"{entry.repo}@{commit[:8]} has none of the files {entry.files}")
        return commit, files

    def download(self, entry: CatalogEntry, commit: str, remote: RemoteFile, target: Path,
                 progress: Progress) -> None:
        """One file to `target`, resuming a partial copy, checked before it is moved in."""
        if target.exists() and target.stat().st_size == remote.size and _matches(remote, target):
            progress(remote.path, remote.size, remote.size)
            return
        part = target.with_name(target.name + ".part")
        part.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.exists() else 0
        if have > remote.size:
            part.unlink()
            have = 0
        digest = _digest_of(part, remote.size) if have else Digest(remote.size)
        url = f"/{entry.repo}/resolve/{commit}/{remote.path}"
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                if response.status_code == 416 and have == remote.size:
                    pass  # the partial copy is already whole
                elif response.is_error:
                    self._get(url)  # turns the status into a PullError
                else:
                    if have and response.status_code != 206:  # no ranges: start over
                        have, digest = 0, Digest(remote.size)
                    with part.open("ab" if have else "wb") as sink:
                        for chunk in response.iter_bytes():  # as received, so a drop loses nothing
                            sink.write(chunk)
                            digest.update(chunk)
                            have += len(chunk)
                            progress(remote.path, have, remote.size)
        except httpx.HTTPError as err:
            raise PullError(f"the download of {remote.path} was interrupted after {have} "
                            "bytes; run the same command again to resume") from err
        try:
            remote.check(digest)
        except PullError:
            part.unlink()  # a bad copy must not be resumed
            raise
        part.replace(target)


def _digest_of(path: Path, size: int) -> Digest:
    digest = Digest(size)
    for chunk in _chunks(path):
        digest.update(chunk)
    return digest


def _matches(remote: RemoteFile, path: Path) -> bool:
    try:
        remote.check(_digest_of(path, remote.size))
    except PullError:
        return False
    return True


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            yield chunk


def pull(entry: CatalogEntry, models_dir: Path, hub: Hub, progress: Progress) -> Path:
    """Fetch a checkpoint into `models_dir/<entry.name>`; returns that folder."""
    folder = models_dir / entry.name
    commit, files = hub.snapshot(entry)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # incomplete until every file is checked
    free = shutil.disk_usage(folder).free
    needed = sum(f.size for f in files)
    if needed > free:
        raise PullError(f"{entry.name} needs {needed / 1e9:.1f} GB; only {free / 1e9:.1f} GB "
                        f"is free under {models_dir}")
    for remote in files:
        hub.download(entry, commit, remote, folder / remote.path, progress)
    (folder / MANIFEST).write_text(json.dumps({
        "repo": entry.repo, "revision": entry.revision, "commit": commit,
        "files": {f.path: {"size": f.size, "sha256": f.sha256, "git_oid": f.git_oid}
                  for f in files}}, indent=2))
    log.info("pulled %s@%s into %s", entry.repo, commit[:8], folder)
    return folder
