"""SpeechBrain's MetricGAN+ enhancement generator (Fu et al., "MetricGAN+", 2021) in plain
PyTorch, with the module names of speechbrain.lobes.models.MetricGAN.EnhancementGenerator, so
the published `enhance_model.ckpt` (a plain state_dict) loads with strict=True; speechbrain
itself needs torchaudio, which has no build for every torch.

The generator reads log1p(|STFT|) frames and predicts a mask over the 257 bins; the masked
features go back through expm1 to a magnitude that is resynthesised with the noisy phase
(speechbrain's SpectralMaskEnhancement.enhance_batch and signal_processing.resynthesize).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch
from torch import nn

from core_agent.errors import CheckpointMismatch

# The published hyperparams.yaml: STFT/ISTFT at 16 kHz, 32 ms windows every 16 ms, 512 bins,
# with speechbrain's defaults (periodic Hamming window, centred frames zero-padded, no
# normalisation) and spectral_magnitude(power=0.5).
SAMPLE_RATE = 16_000  # Hz
N_FFT = 512
WIN_LENGTH = 512  # samples (32 ms)
HOP_LENGTH = 256  # samples (16 ms)
BINS = N_FFT // 2 + 1
MAGNITUDE_EPS = 1e-14  # spectral_magnitude adds it to the power before the square root
PEAK_EPS = 1e-14  # resynthesize divides by the peak plus this
HIDDEN = 200  # LSTM units per direction
LAYERS = 2
PROJECTION = 300
CEILING = 1.2  # the learnable sigmoid's ceiling: a mask may raise a bin by up to 20 %


class SpeechBrainLSTM(nn.Module):
    """speechbrain.nnet.RNN.LSTM: a batch-first torch LSTM kept under the name `rnn`."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(BINS, HIDDEN, num_layers=LAYERS, bidirectional=True,
                           batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


class LearnableSigmoid(nn.Module):
    """CEILING * sigmoid(slope * x), one slope per frequency bin."""

    def __init__(self) -> None:
        super().__init__()
        self.slope = nn.Parameter(torch.ones(BINS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return CEILING * torch.sigmoid(self.slope * x)


class EnhancementGenerator(nn.Module):
    """BLSTM (2 × 200 each way) → Linear 400→300 → LeakyReLU(0.3) → Linear 300→257 →
    learnable sigmoid: log1p magnitudes (batch, frames, 257) to a mask of that shape."""

    def __init__(self) -> None:
        super().__init__()
        self.activation = nn.LeakyReLU(negative_slope=0.3)
        self.blstm = SpeechBrainLSTM()
        self.linear1 = nn.Linear(2 * HIDDEN, PROJECTION)
        self.linear2 = nn.Linear(PROJECTION, BINS)
        self.Learnable_sigmoid = LearnableSigmoid()  # the published key's spelling

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = self.activation(self.linear1(self.blstm(features)))
        return self.Learnable_sigmoid(self.linear2(hidden))


def _mismatch(state: Mapping[str, object], model: nn.Module) -> str | None:
    """What keeps `state` from loading strictly into `model`, in a few words (None: nothing)."""
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    resized = [k for k, v in expected.items() if k in state
               and getattr(state[k], "shape", None) != v.shape]
    parts = [f"{label} {', '.join(keys[:3])}{' …' if len(keys) > 3 else ''}"
             for label, keys in (("missing", missing), ("unexpected", unexpected),
                                 ("wrong shape", resized)) if keys]
    return "; ".join(parts) or None


def load_generator(path: Path, device: str) -> EnhancementGenerator:
    """The generator with the checkpoint's weights (every key must match), in eval mode;
    CheckpointMismatch saying what is wrong otherwise."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # truncated, not a pickle, or pickled objects we refuse
        raise CheckpointMismatch(f"{path.name} is not a PyTorch checkpoint") from err
    model = EnhancementGenerator()
    if not isinstance(state, Mapping):
        raise CheckpointMismatch(f"{path.name} holds no state_dict")
    if (problem := _mismatch(state, model)) is not None:
        raise CheckpointMismatch(f"{path.name} is not MetricGAN+'s generator: {problem}")
    model.load_state_dict(state, strict=True)
    return model.to(device).eval()


def _stft(wave: torch.Tensor) -> torch.Tensor:
    """speechbrain's STFT (complex, (batch, frames, bins))."""
    window = torch.hamming_window(WIN_LENGTH, device=wave.device)
    return torch.stft(wave, N_FFT, HOP_LENGTH, WIN_LENGTH, window, center=True,
                      pad_mode="constant", normalized=False, onesided=True,
                      return_complex=True).transpose(1, 2)


def enhance(generator: nn.Module, wave: torch.Tensor) -> torch.Tensor:
    """Enhanced waveforms (batch, samples) of the same length, not yet peak-normalised:
    mask * log1p(|X|) → expm1 → magnitude with the noisy phase → inverse STFT."""
    spectrum = _stft(wave)
    features = torch.log1p(torch.sqrt(spectrum.real ** 2 + spectrum.imag ** 2 + MAGNITUDE_EPS))
    magnitude = torch.expm1(generator(features) * features)
    phase = torch.atan2(spectrum.imag, spectrum.real)
    enhanced = torch.polar(magnitude, phase).transpose(1, 2)
    window = torch.hamming_window(WIN_LENGTH, device=wave.device)
    return torch.istft(enhanced, N_FFT, HOP_LENGTH, WIN_LENGTH, window, center=True,
                       normalized=False, onesided=True, length=wave.shape[-1])

