"""A tiny DiffSinger voicebank (ONNX)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.neural.common import build

DIFFSINGER_PHONEMES = ("<PAD>", "AP", "SP", "a", "b", "ch", "d", "e", "f", "g", "h", "i", "j",
                       "k", "l", "m", "n", "o", "p", "r", "s", "sh", "t", "th", "u", "v", "w",
                       "y", "z")


def _export(module: Any, args: tuple[Any, ...], path: Path, inputs: list[str], output: str,
            axes: dict[str, dict[int, str]]) -> None:
    import warnings

    import torch

    with warnings.catch_warnings():  # the TorchScript exporter is deprecated, and it warns
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=[output],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def _tiny_diffsinger(folder: Path, extra: tuple[str, ...] = ()) -> None:
    """Random acoustic model and NSF-HiFiGAN with DiffSinger's export signatures: acoustic
    (tokens, durations int64 [1, n]; f0, gender float [1, frames]; speedup int64 scalar)
    -> mel [1, frames, 128]; vocoder (mel, f0) -> waveform [1, frames * 512]; 44.1 kHz."""
    import torch
    from torch import nn

    bins, hop, rate = 128, 512, 44_100

    class Acoustic(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = nn.Embedding(len(DIFFSINGER_PHONEMES), 16)
            self.pitch, self.out = nn.Linear(2, 16), nn.Linear(16, bins)

        def forward(self, tokens: Any, durations: Any, f0: Any, speedup: Any, gender: Any,
                    *more: Any) -> Any:
            ends = durations[0].cumsum(0)
            frames = torch.arange(f0.shape[1]).unsqueeze(1)
            index = torch.minimum((frames >= ends.unsqueeze(0)).sum(1), ends.shape[0] - 1)
            curves = torch.stack([torch.log(f0[0]), gender[0]], dim=-1)
            hidden = torch.tanh(self.embed(tokens[0, index]) + self.pitch(curves))
            mel = self.out(hidden) * (speedup.float() / speedup.float())
            for value in more:
                mel = mel + 0 * value.float().sum()
            return mel.unsqueeze(0)

    class Vocoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.frame = nn.Linear(bins, hop)

        def forward(self, mel: Any, f0: Any) -> Any:
            per_sample = f0.unsqueeze(-1).expand(-1, -1, hop).reshape(1, -1)
            phase = torch.cumsum(per_sample / rate, dim=1)
            noise = torch.tanh(self.frame(mel)).reshape(1, -1)
            return 0.5 * torch.sin(2 * torch.pi * phase) + 0.05 * noise

    torch.manual_seed(0)
    n, t = 5, 40
    names = ["tokens", "durations", "f0", "speedup", "gender", *extra]
    example = (torch.ones(1, n, dtype=torch.long), torch.full((1, n), t // n, dtype=torch.long),
               torch.full((1, t), 220.0), torch.tensor(50), torch.zeros(1, t),
               *(torch.zeros(1, t) for _ in extra))
    per_frame = {k: {1: "n_frames"} for k in ("f0", "gender", *extra)}
    _export(Acoustic().eval(), example, folder / "acoustic.onnx", names, "mel",
            {"tokens": {1: "n_tokens"}, "durations": {1: "n_tokens"}, "mel": {1: "n_frames"}}
            | per_frame)
    vocoder = folder / "dsvocoder"
    vocoder.mkdir()
    _export(Vocoder().eval(), (torch.zeros(1, t, bins), torch.full((1, t), 220.0)),
            vocoder / "nsf_hifigan.onnx", ["mel", "f0"], "waveform",
            {"mel": {1: "n_frames"}, "f0": {1: "n_frames"}, "waveform": {1: "n_samples"}})
    (folder / "phonemes.txt").write_text("\n".join(DIFFSINGER_PHONEMES) + "\n")
    (folder / "dsconfig.yaml").write_text(
        "phonemes: phonemes.txt\nacoustic: acoustic.onnx\nvocoder: nsf_hifigan\n"
        f"sample_rate: {rate}\nhop_size: {hop}\nwin_size: 2048\nfft_size: 2048\n"
        f"num_mel_bins: {bins}\nmel_fmin: 40\nmel_fmax: 16000\nmel_base: e\n"
        "use_key_shift_embed: true\n")
    (vocoder / "vocoder.yaml").write_text(
        f"name: nsf_hifigan\nmodel: nsf_hifigan.onnx\nnum_mel_bins: {bins}\nhop_size: {hop}\n"
        f"sample_rate: {rate}\nmel_base: e\n")
    (folder / "character.txt").write_text("name=Tiny random DiffSinger voicebank\n")


def tiny_diffsinger(extra: tuple[str, ...] = ()) -> Path:
    """A DiffSinger voicebank in OpenUTAU's layout (dsconfig.yaml, phonemes.txt, acoustic.onnx,
    dsvocoder/vocoder.yaml + nsf_hifigan.onnx) with random weights; `extra` adds acoustic
    inputs of that name (float [1, frames])."""
    name = "diffsinger-random" + "".join(f"-{e}" for e in extra)
    return build(name, lambda folder: _tiny_diffsinger(folder, extra))
