"""A tiny SeamlessM4T v2."""

from __future__ import annotations

import json
from pathlib import Path

from tests.neural.common import build

SEAMLESS_TEXT = ("the meeting starts after lunch today", "la réunion commence après le déjeuner",
                 "die besprechung beginnt nach dem mittagessen",
                 "la reunión empieza después del almuerzo")


def _seamless_tokenizer(folder: Path) -> dict[str, int]:
    """A small SentencePiece BPE trained offline, in fairseq's layout as SeamlessM4T publishes
    it (sentencepiece.bpe.model; <pad> 0, <unk> 1, <s> 2, </s> 3, the pieces shifted by one),
    then a token per written language (`__fra__`...); returns those tokens' ids."""
    import io

    import sentencepiece

    from models.translation.seamless import LANGUAGES

    spm = io.BytesIO()
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(SEAMLESS_TEXT * 10), model_writer=spm, vocab_size=120,
        model_type="bpe", unk_id=0, bos_id=1, eos_id=2, pad_id=-1, character_coverage=1.0,
        hard_vocab_limit=False, minloglevel=2)
    (folder / "sentencepiece.bpe.model").write_bytes(spm.getvalue())
    pieces = sentencepiece.SentencePieceProcessor(model_proto=spm.getvalue()).get_piece_size()
    languages = sorted(set(LANGUAGES.values()))
    ids = {f"__{code}__": pieces + 1 + i for i, code in enumerate(languages)}
    special = {"bos_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "cls_token": "<s>",
               "unk_token": "<unk>", "pad_token": "<pad>", "additional_special_tokens": list(ids)}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2))
    (folder / "added_tokens.json").write_text(json.dumps(ids, indent=2))
    (folder / "tokenizer_config.json").write_text(json.dumps(special | {
        "tokenizer_class": "SeamlessM4TTokenizer", "src_lang": "__eng__", "tgt_lang": "__fra__",
        "model_max_length": 4096}, indent=2))
    return ids


def _tiny_seamless(folder: Path) -> None:
    import torch
    from transformers import (
        GenerationConfig,
        SeamlessM4TFeatureExtractor,
        SeamlessM4Tv2Config,
        SeamlessM4Tv2Model,
    )

    languages = _seamless_tokenizer(folder)
    features = SeamlessM4TFeatureExtractor()  # the published front end: 80 mels, stride 2
    features.save_pretrained(folder)
    described = json.loads((folder / "preprocessor_config.json").read_text())
    described["processor_class"] = "SeamlessM4TProcessor"
    (folder / "preprocessor_config.json").write_text(json.dumps(described, indent=2))
    torch.manual_seed(0)
    config = SeamlessM4Tv2Config(  # every part of the full model, 1 layer each, 16 wide
        vocab_size=max(languages.values()) + 1, hidden_size=16, encoder_layers=1,
        encoder_ffn_dim=32, encoder_attention_heads=2, decoder_layers=1, decoder_ffn_dim=32,
        decoder_attention_heads=2, speech_encoder_layers=1, speech_encoder_attention_heads=2,
        speech_encoder_intermediate_size=32, conv_depthwise_kernel_size=3,
        left_max_position_embeddings=8, right_max_position_embeddings=4,
        max_position_embeddings=256, t2u_vocab_size=32, char_vocab_size=64,
        t2u_encoder_layers=1, t2u_encoder_ffn_dim=32, t2u_encoder_attention_heads=2,
        t2u_decoder_layers=1, t2u_decoder_ffn_dim=32, t2u_decoder_attention_heads=2,
        t2u_max_position_embeddings=256, t2u_variance_predictor_embed_dim=16,
        t2u_variance_predictor_hidden_dim=16, unit_hifi_gan_vocab_size=24, unit_embed_dim=8,
        lang_embed_dim=4, spkr_embed_dim=4, vocoder_num_langs=4, vocoder_num_spkrs=1,
        upsample_initial_channel=16, upsample_rates=[5, 4], upsample_kernel_sizes=[11, 8],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1]])
    model = SeamlessM4Tv2Model(config)
    model.generation_config = GenerationConfig(
        bos_token_id=2, eos_token_id=3, pad_token_id=0, decoder_start_token_id=3,
        max_new_tokens=32, text_decoder_lang_to_code_id={
            token.strip("_"): i for token, i in languages.items()})
    model.save_pretrained(folder, max_shard_size="100KB")  # two shards and an index, as published


def tiny_seamless() -> Path:
    """A 1-layer SeamlessM4T v2 (the full model: speech and text encoders, text decoder,
    text-to-unit, vocoder) with a small fairseq-style SentencePiece tokenizer and a token per
    written language, in the layout of facebook/seamless-m4t-v2-large (sharded safetensors)."""
    return build("seamless-random", _tiny_seamless)
