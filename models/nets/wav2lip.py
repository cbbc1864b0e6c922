"""The Wav2Lip generator (Prajwal et al., "A Lip Sync Expert Is All You Need", 2020) in
PyTorch, with the layer names of the published `wav2lip.pth` / `wav2lip_gan.pth`, so their
state_dict loads with strict=True.

An audio encoder reads an 80×16 mel window (0.2 s) into a 512-d embedding; a face encoder
reads the face crop, 96×96, as six channels (the crop with its lower half blacked out, then
an unmasked reference); a decoder grows the audio embedding back to 96×96 through
transposed convolutions, concatenating the encoder's feature maps at each scale (U-Net
skips), and a sigmoid gives the face with the mouth drawn for that audio.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

FACE_SIZE = 96  # pixels, the crop the generator reads and writes
MEL_STEPS = 16  # mel frames per window: 0.2 s at 80 frames a second
MEL_BANDS = 80


class Conv2d(nn.Module):
    """Convolution, batch norm, optional residual, ReLU (Wav2Lip's `Conv2d`)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int | tuple[int, int],
                 padding: int, residual: bool = False) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(nn.Conv2d(cin, cout, kernel, stride, padding),
                                        nn.BatchNorm2d(cout))
        self.act = nn.ReLU()
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.conv_block(x)
        return self.act(out + x if self.residual else out)


class Conv2dTranspose(nn.Module):
    """Transposed convolution, batch norm, ReLU (Wav2Lip's `Conv2dTranspose`)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int, padding: int,
                 output_padding: int = 0) -> None:
        super().__init__()
        self.conv_block = nn.Sequential(
            nn.ConvTranspose2d(cin, cout, kernel, stride, padding, output_padding),
            nn.BatchNorm2d(cout))
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.conv_block(x))


def _stage(cin: int, cout: int, stride: int | tuple[int, int], repeats: int,
           kernel: int = 3, padding: int = 1) -> list[nn.Module]:
    """A strided convolution followed by `repeats` residual ones at its width."""
    return [Conv2d(cin, cout, kernel, stride, padding),
            *(Conv2d(cout, cout, 3, 1, 1, residual=True) for _ in range(repeats))]


def _up(cin: int, cout: int, stride: int, padding: int, repeats: int) -> nn.Sequential:
    """A transposed convolution followed by `repeats` residual convolutions."""
    return nn.Sequential(Conv2dTranspose(cin, cout, 3, stride, padding, stride - 1),
                         *(Conv2d(cout, cout, 3, 1, 1, residual=True) for _ in range(repeats)))


class Wav2Lip(nn.Module):
    """The generator: (mel windows B×1×80×16, faces B×6×96×96) -> faces B×3×96×96 in 0..1."""

    def __init__(self) -> None:
        super().__init__()
        self.face_encoder_blocks = nn.ModuleList([
            nn.Sequential(Conv2d(6, 16, 7, 1, 3)),  # 96×96
            nn.Sequential(*_stage(16, 32, 2, 2)),  # 48×48
            nn.Sequential(*_stage(32, 64, 2, 3)),  # 24×24
            nn.Sequential(*_stage(64, 128, 2, 2)),  # 12×12
            nn.Sequential(*_stage(128, 256, 2, 2)),  # 6×6
            nn.Sequential(*_stage(256, 512, 2, 1)),  # 3×3
            nn.Sequential(Conv2d(512, 512, 3, 1, 0), Conv2d(512, 512, 1, 1, 0)),  # 1×1
        ])
        self.audio_encoder = nn.Sequential(  # 80×16 -> 1×1
            *_stage(1, 32, 1, 2), *_stage(32, 64, (3, 1), 2), *_stage(64, 128, 3, 2),
            *_stage(128, 256, (3, 2), 1), Conv2d(256, 512, 3, 1, 0), Conv2d(512, 512, 1, 1, 0))
        self.face_decoder_blocks = nn.ModuleList([
            nn.Sequential(Conv2d(512, 512, 1, 1, 0)),  # 1×1
            _up(1024, 512, 1, 0, 1),  # 3×3
            _up(1024, 512, 2, 1, 2),  # 6×6
            _up(768, 384, 2, 1, 2),  # 12×12
            _up(512, 256, 2, 1, 2),  # 24×24
            _up(320, 128, 2, 1, 2),  # 48×48
            _up(160, 64, 2, 1, 2),  # 96×96
        ])
        self.output_block = nn.Sequential(Conv2d(80, 32, 3, 1, 1), nn.Conv2d(32, 3, 1, 1, 0),
                                          nn.Sigmoid())

    def forward(self, mels: torch.Tensor, faces: torch.Tensor) -> torch.Tensor:
        feats = []
        x = faces
        for block in self.face_encoder_blocks:
            x = block(x)
            feats.append(x)
        x = self.audio_encoder(mels)
        for block in self.face_decoder_blocks:
            x = torch.cat((block(x), feats.pop()), dim=1)
        out: torch.Tensor = self.output_block(x)
        return out


def published_state(checkpoint: Mapping[str, object]) -> dict[str, torch.Tensor]:
    """The generator's weights from a checkpoint as Wav2Lip's training saved it
    ({"state_dict": ..., "optimizer": ...}, keys prefixed "module." by DataParallel)."""
    state = checkpoint.get("state_dict", checkpoint)
    if not isinstance(state, Mapping):
        raise ValueError("the checkpoint holds no state_dict")
    return {k.removeprefix("module."): v for k, v in state.items()
            if isinstance(v, torch.Tensor)}


def load_generator(path: Path, device: str) -> Wav2Lip:
    """The generator with a checkpoint's weights (every key must match), in eval mode."""
    checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    model = Wav2Lip()
    model.load_state_dict(published_state(checkpoint), strict=True)
    return model.to(device).eval()
