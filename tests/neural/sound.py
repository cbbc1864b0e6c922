"""Tiny sound models: AST, CLAP, Qwen2-Audio."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from tests.neural.common import build, byte_level_bpe, roberta_tokenizer


def _tiny_ast(folder: Path) -> None:
    import csv

    import torch
    from transformers import ASTConfig, ASTFeatureExtractor, ASTForAudioClassification

    from models.sound.yamnet import package_dir

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
    return build("ast-random", _tiny_ast)


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

    roberta_tokenizer(folder)
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
    return build("clap-random", _tiny_clap)


QWEN2_SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>",
                        "<|audio_bos|>", "<|audio_eos|>")  # in Qwen2-Audio's order of ids


def _qwen2_tokenizer(folder: Path) -> Any:
    """A small byte-level BPE with Qwen2's pre-tokenizer, trained offline on sound words, with
    Qwen2-Audio's special tokens after it in their order, saved as the repository publishes
    it (vocab.json, merges.txt, tokenizer.json, tokenizer_config.json). Like the repository it
    carries no audio chat template: the processor applies transformers' Qwen2-Audio one."""
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    bpe = byte_level_bpe(
        "Describe what can be heard in this recording: a dog barks, then a car horn honks "
        "while someone talks over piano music and rain. You are a helpful assistant.",
        PRETOKENIZE_REGEX)
    state = json.loads(bpe.to_str())["model"]
    vocab = state["vocab"] | {t: len(state["vocab"]) + i
                              for i, t in enumerate(QWEN2_SPECIAL_TOKENS)}
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (folder / "merges.txt").write_text(
        "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in state["merges"]), encoding="utf-8")
    tokenizer = Qwen2Tokenizer(vocab=str(folder / "vocab.json"), merges=str(folder / "merges.txt"),
                               eos_token="<|im_end|>", pad_token="<|endoftext|>",
                               additional_special_tokens=list(QWEN2_SPECIAL_TOKENS[1:]))
    tokenizer.save_pretrained(folder)
    return tokenizer


def _tiny_qwen2_audio(folder: Path) -> None:
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2AudioConfig,
        Qwen2AudioForConditionalGeneration,
        Qwen2AudioProcessor,
        WhisperFeatureExtractor,
    )

    tokenizer = _qwen2_tokenizer(folder)
    torch.manual_seed(0)
    config = Qwen2AudioConfig(  # Whisper-style encoder (128 mels, 1500 positions) + Qwen2
        audio_config={"d_model": 16, "encoder_layers": 1, "encoder_attention_heads": 2,
                      "encoder_ffn_dim": 32, "num_mel_bins": 128, "max_source_positions": 1500},
        text_config={"model_type": "qwen2", "vocab_size": len(tokenizer), "hidden_size": 16,
                     "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "num_key_value_heads": 1, "max_position_embeddings": 4096},
        audio_token_index=tokenizer.convert_tokens_to_ids("<|AUDIO|>"))
    model = Qwen2AudioForConditionalGeneration(config)
    with torch.no_grad():  # loud audio embeddings, so that what is heard changes the reply
        cast(Any, model).model.multi_modal_projector.linear.weight.normal_(0.0, 1.0)
    end, im_end = tokenizer.convert_tokens_to_ids(["<|endoftext|>", "<|im_end|>"])
    model.generation_config = GenerationConfig(  # the repository's: sampling, not greedy
        chat_format="chatml", do_sample=True, eos_token_id=[end, im_end], pad_token_id=end,
        repetition_penalty=1.1, temperature=0.7, top_k=20, top_p=0.5)
    model.save_pretrained(folder, max_shard_size="80KB")  # sharded, with its index
    WhisperFeatureExtractor(feature_size=128, return_attention_mask=True).save_pretrained(folder)
    described = json.loads((folder / "preprocessor_config.json").read_text())
    described["processor_class"] = Qwen2AudioProcessor.__name__
    (folder / "preprocessor_config.json").write_text(json.dumps(described, indent=2))


def tiny_qwen2_audio() -> Path:
    """A 1-layer Qwen2-Audio (Whisper-style encoder, projector, Qwen2 decoder) with a small
    Qwen2-style tokenizer, in the layout of Qwen/Qwen2-Audio-7B-Instruct: sharded
    safetensors with their index, generation config, tokenizer files, preprocessor config."""
    return build("qwen2-audio-random", _tiny_qwen2_audio)
