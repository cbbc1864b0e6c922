"""SepFormer (Subakan et al., "Attention Is All You Need in Speech Separation", 2021) in
plain PyTorch, built as SpeechBrain builds it (speechbrain.lobes.models.dual_path and the
transformer encoder it uses) and with SpeechBrain's module names, so a published
`encoder.ckpt`, `masknet.ckpt` and `decoder.ckpt` load unchanged with strict=True, sized by
the repository's own `hyperparams.yaml`. SpeechBrain itself needs torchaudio, which this
project does not install.

An encoder (a strided 1-D convolution and a ReLU) turns the waveform into a learnt
representation; the mask network normalises it, cuts it into chunks of K frames that
overlap by half, runs dual-path blocks (a transformer within each chunk, then one across
the chunks at each position), adds the chunks back together and gives one mask per
speaker; a transposed convolution decodes each masked representation to a waveform.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
import yaml
from torch import nn

from core_agent.errors import CheckpointMismatch

DUAL_PATH = "speechbrain.lobes.models.dual_path."
MODULES = ("encoder", "masknet", "decoder")  # each saved alone as <name>.ckpt
POSITIONS = 2500  # rows of SpeechBrain's sinusoidal position table (its max_len)
SHOWN_KEYS = 3  # keys named per kind of mismatch in an error


class LayerNorm(nn.Module):
    """speechbrain.nnet.normalization.LayerNorm: torch's, one level down (`.norm`)."""

    def __init__(self, size: int, eps: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(size, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x)


class MultiheadAttention(nn.Module):
    """speechbrain.nnet.attention.MultiheadAttention: torch's self-attention as `.att`."""

    def __init__(self, nhead: int, d_model: int) -> None:
        super().__init__()
        self.att = nn.MultiheadAttention(d_model, nhead, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.att(x, x, x, need_weights=False)[0]


class PositionalwiseFeedForward(nn.Module):
    """Linear, activation, dropout, linear, as `.ffn` (so the linears are ffn.0 and ffn.3)."""

    def __init__(self, d_ffn: int, input_size: int, activation: type[nn.Module]) -> None:
        super().__init__()
        self.ffn = nn.Sequential(nn.Linear(input_size, d_ffn), activation(), nn.Dropout(0.0),
                                 nn.Linear(d_ffn, input_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn(x)


class TransformerEncoderLayer(nn.Module):
    """Self-attention and feed-forward, each a residual branch, normalised before or after."""

    def __init__(self, d_ffn: int, nhead: int, d_model: int, activation: type[nn.Module],
                 normalize_before: bool) -> None:
        super().__init__()
        self.self_att = MultiheadAttention(nhead, d_model)
        self.pos_ffn = PositionalwiseFeedForward(d_ffn, d_model, activation)
        self.norm1 = LayerNorm(d_model, eps=1e-6)
        self.norm2 = LayerNorm(d_model, eps=1e-6)
        self.normalize_before = normalize_before

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        if self.normalize_before:
            src = src + self.self_att(self.norm1(src))
            return src + self.pos_ffn(self.norm2(src))
        src = self.norm1(src + self.self_att(src))
        return self.norm2(src + self.pos_ffn(src))


class TransformerEncoder(nn.Module):
    """The layers, then a final layer norm."""

    def __init__(self, num_layers: int, nhead: int, d_ffn: int, d_model: int,
                 activation: type[nn.Module], normalize_before: bool) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(d_ffn, nhead, d_model, activation, normalize_before)
            for _ in range(num_layers))
        self.norm = LayerNorm(d_model, eps=1e-6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)
        return self.norm(x)


class PositionalEncoding(nn.Module):
    """The sinusoid table of "Attention Is All You Need", kept (and saved) as buffer `pe`."""

    def __init__(self, input_size: int, max_len: int = POSITIONS) -> None:
        super().__init__()
        positions = torch.arange(max_len, dtype=torch.float32).unsqueeze(1)
        rates = torch.exp(torch.arange(0, input_size, 2).float()
                          * -(math.log(10000.0) / input_size))
        pe = torch.zeros(max_len, input_size)
        pe[:, 0::2] = torch.sin(positions * rates)
        pe[:, 1::2] = torch.cos(positions * rates)
        self.pe: torch.Tensor
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pe[:, : x.size(1)]


class SBTransformerBlock(nn.Module):
    """The intra- or inter-chunk model: a transformer encoder, with the position table added
    to its input when `use_positional_encoding`."""

    def __init__(self, num_layers: int, d_model: int, nhead: int, d_ffn: int = 2048,
                 activation: str = "relu", use_positional_encoding: bool = False,
                 norm_before: bool = False) -> None:
        super().__init__()
        act = {"relu": nn.ReLU, "gelu": nn.GELU}[activation]
        self.mdl = TransformerEncoder(num_layers, nhead, d_ffn, d_model, act, norm_before)
        self.use_positional_encoding = use_positional_encoding
        if use_positional_encoding:
            self.pos_enc = PositionalEncoding(d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_positional_encoding:
            x = x + self.pos_enc(x)
        return self.mdl(x)


class DualComputationBlock(nn.Module):
    """One dual-path block on [batch, channels, K, chunks]: the intra model along each chunk,
    then the inter model across chunks, each followed by a global layer norm ("ln", a
    one-group GroupNorm) and a residual sum."""

    def __init__(self, intra_mdl: nn.Module, inter_mdl: nn.Module, out_channels: int,
                 skip_around_intra: bool) -> None:
        super().__init__()
        self.intra_mdl, self.inter_mdl = intra_mdl, inter_mdl
        self.skip_around_intra = skip_around_intra
        self.intra_norm = nn.GroupNorm(1, out_channels, eps=1e-8)
        self.inter_norm = nn.GroupNorm(1, out_channels, eps=1e-8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, k, s = x.shape
        intra = self.intra_mdl(x.permute(0, 3, 2, 1).reshape(b * s, k, n))
        intra = self.intra_norm(intra.view(b, s, k, n).permute(0, 3, 2, 1))
        if self.skip_around_intra:
            intra = intra + x
        inter = self.inter_mdl(intra.permute(0, 2, 3, 1).reshape(b * k, s, n))
        inter = self.inter_norm(inter.view(b, k, s, n).permute(0, 3, 1, 2))
        return inter + intra


class DualPathModel(nn.Module):
    """The mask network (SpeechBrain's Dual_Path_Model): [batch, channels, frames] in,
    [speakers, batch, channels, frames] of non-negative masks out."""

    def __init__(self, in_channels: int, out_channels: int, intra_model: nn.Module,
                 inter_model: nn.Module, num_layers: int = 1, K: int = 200,
                 num_spks: int = 2, skip_around_intra: bool = True) -> None:
        super().__init__()
        self.K, self.num_spks = K, num_spks
        self.norm = nn.GroupNorm(1, in_channels, eps=1e-8)
        self.conv1d = nn.Conv1d(in_channels, out_channels, 1, bias=False)
        self.dual_mdl = nn.ModuleList(
            copy.deepcopy(DualComputationBlock(intra_model, inter_model, out_channels,
                                               skip_around_intra))
            for _ in range(num_layers))
        self.conv2d = nn.Conv2d(out_channels, out_channels * num_spks, kernel_size=1)
        self.end_conv1x1 = nn.Conv1d(out_channels, in_channels, 1, bias=False)
        self.prelu = nn.PReLU()
        self.output = nn.Sequential(nn.Conv1d(out_channels, out_channels, 1), nn.Tanh())
        self.output_gate = nn.Sequential(nn.Conv1d(out_channels, out_channels, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, gap = segment(self.conv1d(self.norm(x)), self.K)
        for block in self.dual_mdl:
            x = block(x)
        x = self.conv2d(self.prelu(x))
        b, _, k, s = x.shape
        x = over_add(x.view(b * self.num_spks, -1, k, s), gap)
        x = self.end_conv1x1(self.output(x) * self.output_gate(x))
        _, n, frames = x.shape
        return F.relu(x.view(b, self.num_spks, n, frames)).transpose(0, 1)


def segment(x: torch.Tensor, k: int) -> tuple[torch.Tensor, int]:
    """[B, N, L] to chunks of k frames with hop k/2, [B, N, k, S], and the zeros appended."""
    b, n, length = x.shape
    p = k // 2
    gap = k - (p + length % k) % k
    x = F.pad(x, (p, gap + p))
    first = x[:, :, :-p].reshape(b, n, -1, k)
    second = x[:, :, p:].reshape(b, n, -1, k)
    return torch.cat([first, second], dim=3).view(b, n, -1, k).transpose(2, 3).contiguous(), gap


def over_add(x: torch.Tensor, gap: int) -> torch.Tensor:
    """The inverse of `segment`: overlapping chunks [B, N, k, S] added back to [B, N, L]."""
    b, n, k, _ = x.shape
    p = k // 2
    x = x.transpose(2, 3).reshape(b, n, -1, k * 2)
    first = x[:, :, :, :k].reshape(b, n, -1)[:, :, p:]
    second = x[:, :, :, k:].reshape(b, n, -1)[:, :, :-p]
    return (first + second)[:, :, :-gap]


class Encoder(nn.Module):
    """Waveform [B, T] to [B, channels, frames]: a convolution at stride kernel/2, ReLU."""

    def __init__(self, kernel_size: int = 2, out_channels: int = 64) -> None:
        super().__init__()
        self.conv1d = nn.Conv1d(1, out_channels, kernel_size, stride=kernel_size // 2,
                                bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv1d(x.unsqueeze(1)))


class Decoder(nn.ConvTranspose1d):
    """[B, channels, frames] back to a waveform [B, T]."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x).squeeze(1)


class SepFormer(nn.Module):
    """Encoder, mask network and decoder; SpeechBrain's SepformerSeparation.separate_batch."""

    def __init__(self, encoder: Encoder, masknet: DualPathModel, decoder: Decoder,
                 sample_rate: int) -> None:
        super().__init__()
        self.encoder, self.masknet, self.decoder = encoder, masknet, decoder
        self.sample_rate = sample_rate
        self.speakers = masknet.num_spks

    def forward(self, mix: torch.Tensor) -> torch.Tensor:
        """[B, T] mixtures to [B, T, speakers] sources."""
        mix_w = self.encoder(mix)
        masked = mix_w.unsqueeze(0) * self.masknet(mix_w)
        sources = torch.stack([self.decoder(m) for m in masked], dim=-1)
        wanted, have = mix.size(1), sources.size(1)
        return F.pad(sources, (0, 0, 0, wanted - have)) if wanted > have \
            else sources[:, :wanted]


@dataclass(frozen=True)
class Tagged:
    """A HyperPyYAML object (`!new:module.Class`, `!name:`, `!apply:`), kept as data."""

    tag: str
    args: Any


@dataclass(frozen=True)
class Ref:
    """`!ref <key>`: another entry of the file."""

    target: str


class _Loader(yaml.SafeLoader):
    """YAML that reads HyperPyYAML's tags as data and never imports or calls anything."""


def _tagged(loader: _Loader, suffix: str, node: yaml.Node) -> Tagged | Ref:
    value: Any
    if isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_scalar(node)  # type: ignore[arg-type]
    return Ref(str(value)) if suffix == "ref" else Tagged(suffix, value)


_Loader.add_multi_constructor("!", _tagged)


def _resolve(value: Any, top: Mapping[str, Any]) -> Any:
    if isinstance(value, Ref):
        found = re.fullmatch(r"<(\w+)>", value.target.strip())
        return value if found is None or found.group(1) not in top else \
            _resolve(top[found.group(1)], top)
    if isinstance(value, Tagged):
        return Tagged(value.tag, _resolve(value.args, top))
    if isinstance(value, dict):
        return {k: _resolve(v, top) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, top) for v in value]
    return value


def read_hyperparams(path: Path) -> dict[str, Any]:
    """A SpeechBrain hyperparams.yaml with its plain references (`!ref <key>`) followed;
    others (string templates, arithmetic) stay `Ref`s, refused where a module needs one."""
    top = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    if not isinstance(top, dict):
        raise CheckpointMismatch(f"{path.name} is not a mapping")
    return dict(_resolve(top, top))


def _args(node: Any, name: str, accepted: Mapping[str, object]) -> dict[str, Any]:
    """The arguments of a `!new:` node of class `name`; the ones this port does not build
    must have the value given in `accepted` (None: any value, it only matters in training)."""
    if not isinstance(node, Tagged) or node.tag != f"new:{DUAL_PATH}{name}":
        found = node.tag if isinstance(node, Tagged) else type(node).__name__
        raise CheckpointMismatch(f"hyperparams.yaml builds {found}, not SepFormer's {name}")
    args = dict(node.args or {})
    if refs := [f"{k}: !ref {v.target}" for k, v in args.items() if isinstance(v, Ref)]:
        raise CheckpointMismatch(f"hyperparams.yaml: cannot follow {', '.join(refs)}")
    for key, wanted in accepted.items():
        if key in args and wanted is not None and args.pop(key) != wanted:
            raise CheckpointMismatch(f"{name} with {key} other than {wanted!r} is not supported")
        args.pop(key, None)
    return args


def build(hparams: Mapping[str, Any]) -> SepFormer:
    """The network hyperparams.yaml describes, with fresh weights."""
    modules = hparams.get("modules")
    if not isinstance(modules, dict) or not set(MODULES) <= set(modules):
        raise CheckpointMismatch(f"hyperparams.yaml lists no modules {', '.join(MODULES)}")
    masknet = _args(modules["masknet"], "Dual_Path_Model", {
        "norm": "ln", "linear_layer_after_inter_intra": False, "use_global_pos_enc": False,
        "max_length": None})
    blocks = {"kdim": None, "vdim": None, "input_shape": None, "dropout": None,
              "attention_type": "regularMHA"}
    try:
        for model in ("intra_model", "inter_model"):
            masknet[model] = SBTransformerBlock(**_args(masknet.get(model),
                                                        "SBTransformerBlock", blocks))
        encoder = Encoder(**_args(modules["encoder"], "Encoder", {"in_channels": 1}))
        decoder = Decoder(**_args(modules["decoder"], "Decoder", {"out_channels": 1}),
                          out_channels=1)
        return SepFormer(encoder, DualPathModel(**masknet), decoder,
                         int(hparams["sample_rate"]))
    except (TypeError, KeyError, ValueError) as err:  # an option this port does not know
        raise CheckpointMismatch(f"hyperparams.yaml: {err}") from err


def load_state(module: nn.Module, path: Path) -> None:
    """A module's weights from its .ckpt (a plain state_dict); every key must match."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, Mapping):
        raise CheckpointMismatch(f"{path.name} holds no state_dict")
    wanted = module.state_dict()
    problems = {
        "missing": sorted(wanted.keys() - state.keys()),
        "unexpected": sorted(state.keys() - wanted.keys()),
        "of another shape": sorted(k for k in wanted.keys() & state.keys()
                                   if wanted[k].shape != state[k].shape)}
    found = [f"{len(keys)} {kind} ({', '.join(keys[:SHOWN_KEYS])}"
             f"{', …' if len(keys) > SHOWN_KEYS else ''})"
             for kind, keys in problems.items() if keys]
    if found:
        raise CheckpointMismatch(f"{path.name} does not fit the network hyperparams.yaml "
                                 f"describes: keys {'; '.join(found)}")
    module.load_state_dict(state, strict=True)


def load_sepformer(folder: Path, device: str) -> SepFormer:
    """The SepFormer of a checkpoint folder (hyperparams.yaml and the three .ckpt files),
    in eval mode on `device`."""
    model = build(read_hyperparams(folder / "hyperparams.yaml"))
    for name in MODULES:
        load_state(getattr(model, name), folder / f"{name}.ckpt")
    return model.to(device).eval()
