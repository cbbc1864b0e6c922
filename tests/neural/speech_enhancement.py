"""MetricGAN+ with random weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.neural.common import build

METRICGAN_HPARAMS = """\
# Stand-in for the published hyperparams.yaml (HyperPyYAML; the backend does not read it)
sample_rate: 16000
n_fft: 512
win_length: 32
hop_length: 16
enhance_model: !new:speechbrain.lobes.models.MetricGAN.EnhancementGenerator
    input_size: !ref <n_fft> // 2 + 1
    hidden_size: 200
    num_layers: 2
    dropout: 0
"""


def metricgan_state(seed: int = 0) -> dict[str, Any]:
    """A random state_dict with the keys and shapes speechbrain's EnhancementGenerator saves
    (sb.nnet.RNN.LSTM keeps its torch LSTM as `rnn`; linear1/linear2 are torch Linears; the
    learnable sigmoid has one slope per bin), built from torch modules, not from ours."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    lstm = nn.LSTM(257, 200, num_layers=2, bidirectional=True, batch_first=True)
    state = {f"blstm.rnn.{k}": v for k, v in lstm.state_dict().items()}
    for name, layer in (("linear1", nn.Linear(400, 300)), ("linear2", nn.Linear(300, 257))):
        state |= {f"{name}.{k}": v for k, v in layer.state_dict().items()}
    return state | {"Learnable_sigmoid.slope": torch.ones(257)}


def _random_metricgan(folder: Path) -> None:
    import torch

    torch.save(metricgan_state(), folder / "enhance_model.ckpt")  # as speechbrain saves it
    (folder / "hyperparams.yaml").write_text(METRICGAN_HPARAMS)


def random_metricgan() -> Path:
    """speechbrain/metricgan-plus-voicebank's layout (hyperparams.yaml, enhance_model.ckpt)
    with the full-size generator (1.9M parameters, 7.6 MB) and random weights."""
    return build("metricgan-random", _random_metricgan)
