"""Where artifact files live: a local folder, or an S3-compatible bucket with a local cache.

Keys are "<channel folder>/<handle><suffix>", as stored in `ArtifactRecord.path`. Readers
always get a local file: `LocalStorage` keeps the files in the media folder itself, while
`S3Storage` keeps the objects in the bucket and uses the media folder as a cache, filled
on first use, so a bot and its workers on different machines share every artifact.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core_agent.config import Settings
from core_agent.errors import StorageError

log = logging.getLogger(__name__)
S3_CONNECT_TIMEOUT = 5  # seconds
S3_READ_TIMEOUT = 60  # seconds
S3_MAX_ATTEMPTS = 3
S3_DELETE_BATCH = 1000  # the most keys DeleteObjects takes at once


class Storage(ABC):
    """Artifact files by key, always read through a local path under `root`."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def local(self, key: str) -> Path:
        """Where the key's file is (or will be, once fetched) on this machine."""
        return self.root / key

    def check(self) -> None:
        """Raise StorageError if the storage can't be used; called once at start."""
        self.root.mkdir(parents=True, exist_ok=True)

    @abstractmethod
    def put(self, key: str, source: Path) -> Path:
        """Store a copy of `source` under `key`; return its local path."""

    @abstractmethod
    def fetch(self, key: str) -> Path:
        """The key's file on local disk, brought here first if need be."""

    @abstractmethod
    def delete_folder(self, folder: str) -> None:
        """Drop every file under "<folder>/" (a channel's media)."""


class LocalStorage(Storage):
    """Files in the data folder's media folder: one machine, or a shared filesystem."""

    def put(self, key: str, source: Path) -> Path:
        target = self.local(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return target

    def fetch(self, key: str) -> Path:
        return self.local(key)

    def delete_folder(self, folder: str) -> None:
        shutil.rmtree(self.root / folder, ignore_errors=True)


class S3Storage(Storage):
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, R2...), cached under `root`.

    Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
    AWS_PROFILE, an instance role); they are never logged.
    """

    def __init__(self, root: Path, bucket: str, *, prefix: str = "",
                 endpoint_url: str | None = None) -> None:
        super().__init__(root)
        try:
            import boto3
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError as err:  # pragma: no cover - boto3 is a dependency
            raise ImportError("S3 storage needs boto3: pip install boto3") from err
        self.bucket, self.endpoint_url = bucket, endpoint_url
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.errors = (BotoCoreError, ClientError)
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url, config=Config(
            connect_timeout=S3_CONNECT_TIMEOUT, read_timeout=S3_READ_TIMEOUT,
            retries={"max_attempts": S3_MAX_ATTEMPTS, "mode": "standard"}))

    def where(self) -> str:
        """The bucket and endpoint, for messages (no credentials)."""
        return f"s3://{self.bucket}/{self.prefix} at {self.endpoint_url or 'AWS'}"

    def check(self) -> None:
        super().check()
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except self.errors as err:
            raise StorageError(f"Media storage {self.where()} can't be used: {err}",
                               code="storage-unreachable") from err
        log.info("media stored in %s, cached in %s", self.where(), self.root)

    def put(self, key: str, source: Path) -> Path:
        try:
            self.client.upload_file(str(source), self.bucket, self.prefix + key)
        except self.errors as err:
            raise StorageError(f"I couldn't store that file ({type(err).__name__}).") from err
        return self._into_cache(key, lambda part: shutil.copyfile(source, part))

    def fetch(self, key: str) -> Path:
        target = self.local(key)
        if target.is_file():
            return target
        try:
            return self._into_cache(key, lambda part: self.client.download_file(
                self.bucket, self.prefix + key, str(part)))
        except self.errors as err:
            raise StorageError(f"I couldn't fetch {Path(key).stem} from storage "
                               f"({type(err).__name__}).") from err

    def delete_folder(self, folder: str) -> None:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=f"{self.prefix}{folder}/")
            keys = [{"Key": item["Key"]} for page in pages for item in page.get("Contents", [])]
            for start in range(0, len(keys), S3_DELETE_BATCH):
                self.client.delete_objects(Bucket=self.bucket, Delete={
                    "Objects": keys[start:start + S3_DELETE_BATCH], "Quiet": True})
        except self.errors as err:
            raise StorageError(f"I couldn't delete this chat's files ({type(err).__name__})."
                               ) from err
        shutil.rmtree(self.root / folder, ignore_errors=True)

    def _into_cache(self, key: str, write: Callable[[Path], object]) -> Path:
        # Written beside the target and renamed, so a reader never sees half a file.
        target = self.local(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
        try:
            write(part)
            os.replace(part, target)
        finally:
            part.unlink(missing_ok=True)
        return target


def open_storage(settings: Settings) -> Storage:
    """The bucket when one is configured, else the data folder's media folder; checked."""
    storage: Storage = (
        S3Storage(settings.media_dir, settings.s3_bucket, prefix=settings.s3_prefix,
                  endpoint_url=settings.s3_endpoint_url)
        if settings.s3_bucket else LocalStorage(settings.media_dir))
    storage.check()
    return storage
