"""Whether a model is installed is asked for every task on every turn: the answers are
remembered, and a model that arrives (or goes) meanwhile is seen at once."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, ClassVar

import huggingface_hub
import pytest
from huggingface_hub import constants

from models.base import Backend
from models.catalog.checkpoints import MANIFEST, CatalogEntry, locate

ENTRY = CatalogEntry("tiny-thing", "nobody/tiny-thing", ("*.bin",), "1 MB", "MIT")


@pytest.fixture
def hub_lookups(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each look into the Hugging Face cache (an empty one of this test's own)."""
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    looked: list[str] = []
    real = huggingface_hub.snapshot_download

    def snapshot_download(repo_id: str, **options: Any) -> str:
        looked.append(repo_id)
        return real(repo_id, cache_dir=str(tmp_path / "hub"), **options)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    return looked


def test_a_pull_is_seen_at_once_and_nothing_is_looked_up_twice(
        tmp_path: Path, hub_lookups: list[str]) -> None:
    models = tmp_path / "models"
    assert locate(ENTRY, models) is None
    assert locate(ENTRY, models) is None
    assert hub_lookups == [ENTRY.repo]  # the second answer was remembered
    folder = models / ENTRY.name  # what `audiogpt models pull` leaves, the manifest last
    folder.mkdir(parents=True)
    (folder / "weights.bin").write_bytes(b"w")
    assert locate(ENTRY, models) is None  # no manifest: not complete yet
    (folder / MANIFEST).write_text(json.dumps({"files": ["weights.bin"]}))
    assert locate(ENTRY, models) == folder
    assert locate(ENTRY, models) == folder
    (folder / MANIFEST).unlink()  # removed by hand
    assert locate(ENTRY, models) is None


def test_a_download_into_the_hub_cache_is_seen_at_once(tmp_path: Path,
                                                       hub_lookups: list[str]) -> None:
    assert locate(ENTRY, None) is None
    repo = tmp_path / "hub" / "models--nobody--tiny-thing"  # as huggingface_hub lays it out
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text("0" * 40)
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    assert locate(ENTRY, None) is None  # an empty snapshot holds nothing yet
    (snapshot / "weights.bin").write_bytes(b"w")
    assert locate(ENTRY, None) == snapshot
    looked = len(hub_lookups)
    assert locate(ENTRY, None) == snapshot and len(hub_lookups) == looked


class _Needs(Backend):
    """A backend that imports one module."""

    name, task, model, license = "needs", "speech_recognition", "needs", "MIT"
    requires: ClassVar[tuple[str, ...]] = ("audiogpt_test_late_module",)

    def load(self) -> None:
        """Nothing to load."""


def test_a_module_installed_later_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    assert not _Needs.installed()
    monkeypatch.syspath_prepend(str(tmp_path))  # (clears the import system's caches)
    (tmp_path / "audiogpt_test_late_module.py").write_text("")
    assert _Needs.installed()
    monkeypatch.setattr(sys, "path", [])  # once found, it is not searched for again
    assert _Needs.installed()
