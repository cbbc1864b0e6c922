"""The neural catalog: which checkpoint each neural backend needs, and where it is on disk.

A checkpoint is usable from the models folder (`audiogpt models pull` puts it there, with a
manifest written last, so a folder with a manifest is complete and checked) or from the
Hugging Face cache when the user fetched it with their own tools. Nothing here downloads.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from core_agent.errors import BackendUnavailable
from models.base import Backend
from models.settings import BARE, ModelSettings

log = logging.getLogger(__name__)
MANIFEST = "audiogpt-manifest.json"
DiskMark = tuple[tuple[str, int | None], ...]  # paths and their mtimes (ns), None: absent


@dataclass(frozen=True)
class CatalogEntry:
    """One checkpoint: a Hugging Face repository and the files of it a backend loads."""

    name: str  # its folder under the models folder
    repo: str
    files: tuple[str, ...]  # glob patterns, relative to the repository root
    size: str  # what users are about to download, e.g. "1.6 GB"
    license: str
    revision: str = "main"


def manifest(folder: Path) -> dict[str, object] | None:
    """The manifest of a completed pull, or None."""
    try:
        return dict(json.loads((folder / MANIFEST).read_text()))
    except (OSError, ValueError):
        return None


def locate(entry: CatalogEntry, models_dir: Path | None) -> Path | None:
    """The folder holding a complete copy of the checkpoint, or None (loads nothing).

    Asked on every turn for every task, so the answer is remembered until the disk shows a
    change: a few stats instead of a hub cache lookup, and a checkpoint pulled (or removed)
    meanwhile is seen at once."""
    key, mark = (entry, models_dir), _disk_mark(entry, models_dir)
    with _LOCATED_LOCK:
        known = _LOCATED.get(key)
    if known is not None and known[0] == mark:
        return known[1]
    found = _look(entry, models_dir)
    with _LOCATED_LOCK:
        _LOCATED[key] = (mark, found)
    return found


_LOCATED: dict[tuple[CatalogEntry, Path | None], tuple[DiskMark, Path | None]] = {}
_LOCATED_LOCK = threading.Lock()


def _disk_mark(entry: CatalogEntry, models_dir: Path | None) -> DiskMark:
    """What a pull changes: the manifest it writes last in the models folder; in the Hugging
    Face cache, the repository's folder, its refs and each snapshot's folder."""
    paths = [models_dir / entry.name / MANIFEST] if models_dir is not None else []
    try:
        from huggingface_hub import constants
    except ImportError:
        pass
    else:  # the cache's folder of a model repository, as huggingface_hub names it
        repo = Path(constants.HF_HUB_CACHE) / "--".join(["models", *entry.repo.split("/")])
        paths += [repo, repo / "refs" / entry.revision, repo / "snapshots"]
        with contextlib.suppress(OSError):
            paths += [Path(e.path) for e in os.scandir(repo / "snapshots")]
    return tuple((str(p), _mtime(p)) for p in paths)


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def _look(entry: CatalogEntry, models_dir: Path | None) -> Path | None:
    if models_dir is not None and manifest(folder := models_dir / entry.name) is not None:
        return folder
    try:
        from huggingface_hub import snapshot_download

        cached = Path(snapshot_download(entry.repo, revision=entry.revision,
                                        allow_patterns=list(entry.files), local_files_only=True))
    except Exception:  # not cached, or no huggingface_hub: either way not installed
        return None
    return cached if any(cached.iterdir()) else None


def torch_device() -> str:
    """Where a torch model runs: the GPU when this process has one."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class NeuralBackend(Backend):
    """A backend whose weights come from the catalog rather than from a package."""

    tier = "neural"
    entry: ClassVar[CatalogEntry]

    @classmethod
    def configured_repo(cls, settings: ModelSettings) -> str | None:
        """The hub repository the settings name for it, where it has no canonical one."""
        return None

    @classmethod
    def catalog_entry(cls, settings: ModelSettings) -> CatalogEntry:
        """The entry, pointed at the repository the settings name, if they name one."""
        repo = cls.configured_repo(settings)
        return replace(cls.entry, repo=repo) if repo else cls.entry

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @classmethod
    def installed(cls, settings: ModelSettings = BARE) -> bool:
        return super().installed() and locate(cls.entry, settings.folder) is not None

    @classmethod
    def create(cls, settings: ModelSettings = BARE) -> Backend:
        folder = locate(cls.entry, settings.folder)
        if folder is None or not super().installed():
            raise BackendUnavailable(cls.model, cls.install_hint)
        return cls(folder).with_settings(settings)
