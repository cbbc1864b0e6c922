"""Where the tiny checkpoints are built, and the small tokenizers several families
share, trained offline since the real ones cannot be downloaded here."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-models"


def build(name: str, make: Callable[[Path], None]) -> Path:
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


def t5_tokenizer(folder: Path) -> None:
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


def roberta_tokenizer(folder: Path) -> None:
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


def byte_level_bpe(words: str, split: str) -> Any:
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
