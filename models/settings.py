"""What a deployment says about its models: every backend is asked whether it is installed,
and created, with these (never through process-wide state)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core_agent.config import Settings


@dataclass(frozen=True)
class ModelSettings:
    """The settings backends read; the defaults are those of a bare install."""

    folder: Path | None = None  # where `audiogpt models pull` puts checkpoints
    hrtf_sofa: Path | None = None  # a SOFA file of HRTFs; None: the first in <folder>/hrtf/
    asr_batch_size: int | None = None  # Whisper rows decoded at once; None: by device
    wav2lip_repo: str | None = None  # the hub repositories of models with no canonical one
    diffsinger_repo: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> ModelSettings:
        """The model settings of the application's settings."""
        return cls(settings.models_dir, settings.hrtf_sofa, settings.asr_batch_size,
                   settings.wav2lip_repo, settings.diffsinger_repo)


BARE = ModelSettings()
