"""A tiny CSM voice cloner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from tests.neural.common import build, byte_level_bpe

LLAMA3_SPECIAL_TOKENS = ("<|begin_of_text|>", "<|end_of_text|>", "<|AUDIO|>", "<|audio_eos|>")


# Llama 3's pre-tokenizer split (tiktoken's cl100k pattern), which CSM's tokenizer keeps.
LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


# What sesame/csm-1b's chat template writes: each turn is <|begin_of_text|>[speaker]text
# <|end_of_text|>, followed by <|AUDIO|><|audio_eos|> when the turn has its audio.
CSM_CHAT_TEMPLATE = (
    "{%- for message in messages %}{{- bos_token + '[' + message['role'] + ']' }}"
    "{%- for part in message['content'] if part['type'] == 'text' %}{{- part['text'] }}"
    "{%- endfor %}{{- eos_token }}"
    "{%- if message['content'] | selectattr('type', 'equalto', 'audio') | list %}"
    "{{- '<|AUDIO|><|audio_eos|>' }}{%- endif %}{%- endfor %}")


def _llama3_tokenizer(folder: Path) -> Any:
    """A small byte-level BPE with Llama 3's split and CSM's special tokens after it (the
    audio markers in place of Llama's reserved tokens), trained offline, saved as
    sesame/csm-1b publishes it: tokenizer.json, tokenizer_config.json."""
    from tokenizers import decoders, processors
    from transformers import PreTrainedTokenizerFast

    bpe = byte_level_bpe(
        "this is how I sound when I talk about my day at work; see you tomorrow at the "
        "station, please call Stella and bring the quarterly report to the meeting.",
        LLAMA3_SPLIT)
    bpe.decoder = decoders.ByteLevel()
    bpe.add_special_tokens(list(LLAMA3_SPECIAL_TOKENS))
    bos, eos = LLAMA3_SPECIAL_TOKENS[:2]
    bpe.post_processor = processors.TemplateProcessing(  # as the repository's tokenizer.json
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {bos} $B {eos}",
        special_tokens=[(t, bpe.token_to_id(t)) for t in (bos, eos)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=bos, eos_token=eos,
                                        pad_token=eos)
    tokenizer.save_pretrained(folder)
    return tokenizer


def _tiny_csm(folder: Path) -> None:
    import torch
    from transformers import (
        CsmConfig,
        CsmDepthDecoderConfig,
        CsmForConditionalGeneration,
        CsmProcessor,
        EncodecFeatureExtractor,
        GenerationConfig,
        MimiConfig,
    )

    tokenizer = _llama3_tokenizer(folder)
    audio, audio_eos = tokenizer.convert_tokens_to_ids(["<|AUDIO|>", "<|audio_eos|>"])
    codebooks = 4  # the real model has 32
    codec = MimiConfig(  # Mimi's layout (24 kHz, strides 8·6·5·4 then 2: 12.5 frames a second)
        hidden_size=16, num_filters=4, num_hidden_layers=1, intermediate_size=32,
        num_attention_heads=2, num_key_value_heads=2, codebook_dim=16,
        num_quantizers=codebooks, vector_quantization_hidden_dimension=16, upsample_groups=16)
    depth = CsmDepthDecoderConfig(
        num_codebooks=codebooks, backbone_hidden_size=16, hidden_size=16, intermediate_size=32,
        num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
        max_position_embeddings=codebooks + 1)
    config = CsmConfig(  # codebook vocabulary 2048 + 3 and its special ids as in the real one
        num_codebooks=codebooks, text_vocab_size=len(tokenizer), hidden_size=16,
        intermediate_size=32, num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
        bos_token_id=tokenizer.bos_token_id, pad_token_id=audio, audio_token_id=audio,
        audio_eos_token_id=audio_eos, depth_decoder_config=depth.to_dict(),
        codec_config=codec.to_dict())
    torch.manual_seed(0)
    model = CsmForConditionalGeneration(config)
    quantizer = cast(Any, model).codec_model.quantizer
    with torch.no_grad():  # Mimi's codebooks start at zero: every frame would get code 0
        for layer in (*quantizer.semantic_residual_vector_quantizer.layers,
                      *quantizer.acoustic_residual_vector_quantizer.layers):
            layer.codebook.embed_sum.normal_()
        # A trained CSM never samples the codes past Mimi's codebook (padding, 2048-2050) in
        # speech; with their head rows at zero, random ones never rank in the top 50 either.
        cast(Any, model).lm_head.weight[codec.codebook_size:] = 0
        cast(Any, model).depth_decoder.codebooks_head.weight[..., codec.codebook_size:] = 0
    sampling = {"do_sample": True, "top_k": 50, "temperature": 0.9}  # the repository's
    model.generation_config = GenerationConfig(max_new_tokens=125, **sampling)
    cast(Any, model).depth_decoder.generation_config = GenerationConfig(**sampling)
    model.save_pretrained(folder)
    # The processor's halves and its chat template, as transformers 4 saved them.
    EncodecFeatureExtractor(feature_size=1, sampling_rate=24_000, padding_value=0.0,
                            return_attention_mask=True).save_pretrained(folder)
    (folder / "chat_template.jinja").write_text(CSM_CHAT_TEMPLATE)
    for name, extra in (("preprocessor_config.json", {}),
                        ("tokenizer_config.json", {"tokenizer_class": "PreTrainedTokenizerFast"})):
        described = json.loads((folder / name).read_text())
        described |= {"processor_class": CsmProcessor.__name__, **extra}
        (folder / name).write_text(json.dumps(described, indent=2))


def tiny_csm() -> Path:
    """A 1-layer CSM (Llama-style backbone and depth decoder over 4 codebooks, a tiny Mimi
    codec at 24 kHz) with a small Llama-3-style tokenizer, in the layout of sesame/csm-1b:
    config.json, generation_config.json, model.safetensors, preprocessor_config.json,
    tokenizer files and chat_template.jinja."""
    return build("csm-random", _tiny_csm)
