"""Tiny generators: MusicGen, AudioLDM 2, the BLIP captioner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from tests.neural.common import build, roberta_tokenizer, t5_tokenizer


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

    t5_tokenizer(folder)
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
    return build("musicgen-random", _tiny_musicgen)


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

    for part, make in (("tokenizer", roberta_tokenizer), ("tokenizer_2", t5_tokenizer)):
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
    return build("audioldm2-random", _tiny_audioldm2)


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
    return build("blip-random", _tiny_blip)
