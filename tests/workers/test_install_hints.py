"""The hint for a task that can't run here names the model that would serve the request."""

from __future__ import annotations

from pathlib import Path

import pytest

from core_agent.errors import ModelNotInstalled
from models.settings import ModelSettings
from workers.jobs import require_installed


def test_translation_into_french_names_seamless_not_whisper(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled) as refused:
        require_installed("speech_translation", ModelSettings(tmp_path), "fr")
    hint = refused.value.message
    assert hint.startswith("Translate speech for 'fr' isn't available here: SeamlessM4T")
    assert "9.2 GB to download, licence CC-BY-NC-4.0" in hint
    assert "`audiogpt models pull speech_translation`" in hint
    assert "Whisper" not in hint  # Whisper translates into English only


def test_the_hint_names_the_task_by_its_title(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalled) as refused:
        require_installed("text_to_music", ModelSettings(tmp_path))
    hint = refused.value.message
    assert hint.startswith("Generate music isn't available here: MusicGen")
    assert "text_to_music isn't" not in hint  # the task's title, not its id


def test_an_installed_embedded_model_passes(tmp_path: Path) -> None:
    # tiny.en comes with the install
    require_installed("speech_recognition", ModelSettings(tmp_path), "en")
