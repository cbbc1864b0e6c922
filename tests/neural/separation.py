"""A tiny SepFormer."""

from __future__ import annotations

from pathlib import Path

from tests.neural.common import build

# speechbrain/sepformer-wsj02mix's hyperparams.yaml, with the sizes left as fields.
SEPFORMER_HYPERPARAMS = """\
# ################################
# Model: Inference for source separation with SepFormer
# https://arxiv.org/abs/2010.13154
# Generated from speechbrain/recipes/WSJ0Mix/separation/train/hparams/sepformer-wsj02mix.yaml
# Dataset : wsj02mix
# ###############################

# Parameters
sample_rate: 8000
num_spks: 2

# Specifying the network
Encoder: !new:speechbrain.lobes.models.dual_path.Encoder
  kernel_size: 16
  out_channels: {channels}

SBtfintra: !new:speechbrain.lobes.models.dual_path.SBTransformerBlock
  num_layers: {layers}
  d_model: {channels}
  nhead: {heads}
  d_ffn: {ffn}
  dropout: 0
  use_positional_encoding: true
  norm_before: true

SBtfinter: !new:speechbrain.lobes.models.dual_path.SBTransformerBlock
  num_layers: {layers}
  d_model: {channels}
  nhead: {heads}
  d_ffn: {ffn}
  dropout: 0
  use_positional_encoding: true
  norm_before: true

MaskNet: !new:speechbrain.lobes.models.dual_path.Dual_Path_Model
  num_spks: !ref <num_spks>
  in_channels: {channels}
  out_channels: {channels}
  num_layers: 2
  K: 250
  intra_model: !ref <SBtfintra>
  inter_model: !ref <SBtfinter>
  norm: ln
  linear_layer_after_inter_intra: false
  skip_around_intra: true

Decoder: !new:speechbrain.lobes.models.dual_path.Decoder
  in_channels: {channels}
  out_channels: 1
  kernel_size: 16
  stride: 8
  bias: false

modules:
  encoder: !ref <Encoder>
  decoder: !ref <Decoder>
  masknet: !ref <MaskNet>

pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
  loadables:
    encoder: !ref <Encoder>
    masknet: !ref <MaskNet>
    decoder: !ref <Decoder>
"""


def _tiny_sepformer(folder: Path) -> None:
    import torch

    from models.nets.sepformer import MODULES, build, read_hyperparams

    (folder / "hyperparams.yaml").write_text(  # the published one: 256, 8, 8, 1024
        SEPFORMER_HYPERPARAMS.format(channels=16, layers=1, heads=2, ffn=32))
    torch.manual_seed(0)
    model = build(read_hyperparams(folder / "hyperparams.yaml"))
    for name in MODULES:  # as SpeechBrain's checkpointer saves each module
        torch.save(getattr(model, name).state_dict(), folder / f"{name}.ckpt")


def tiny_sepformer() -> Path:
    """A SepFormer of the published layout (two dual-path blocks, chunks of 250 frames, 8 kHz)
    at 16 channels and one transformer layer per block, which its hyperparams.yaml states:
    hyperparams.yaml, encoder.ckpt, masknet.ckpt, decoder.ckpt, as speechbrain publishes it."""
    return build("sepformer-random", _tiny_sepformer)
