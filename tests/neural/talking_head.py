"""The Wav2Lip generator with random weights."""

from __future__ import annotations

from pathlib import Path

from tests.neural.common import build


def _random_wav2lip(folder: Path) -> None:
    import torch

    from models.nets.wav2lip import Wav2Lip

    torch.manual_seed(0)
    state = {f"module.{k}": v for k, v in Wav2Lip().state_dict().items()}  # DataParallel's
    torch.save({"state_dict": state, "optimizer": None, "global_step": 0, "global_epoch": 0},
               folder / "wav2lip_gan.pth")


def random_wav2lip() -> Path:
    """The full-size Wav2Lip generator (36M parameters, ~145 MB: its architecture is fixed
    at 96×96 faces and 80×16 mels) with random weights, saved as the published
    wav2lip_gan.pth is: {"state_dict": {"module.<key>": tensor}, ...}."""
    return build("wav2lip-random", _random_wav2lip)
