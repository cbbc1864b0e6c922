"""The embedded recognisers on real English speech and on other languages: Whisper tiny.en
against multilingual Whisper base (alone, and as the speech_recognition backend, which hands
English to tiny.en), on the LibriVox recordings of Debian's pocketsphinx-testdata as OGG/Opus
voice notes and on espeak-ng voices in other languages. Load time, resident memory, word
error rate and seconds per note.

    .venv/bin/python -m bench.asr_languages [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.audio import Audio
from media.decode import decode
from models.cache import resident_bytes
from models.settings import ModelSettings
from models.speech_recognition.base import Transcript
from models.speech_recognition.faster_whisper import run_whisper
from models.speech_recognition.whisper_base import (
    FasterWhisperBase,
    load_whisper_base,
    whisper_base_folder,
)
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from tests.models.speech_recognition.test_real_speech import FOREIGN
from tests.real_sounds import librivox
from tests.samples import convert, espeak, wer

MB = 1024 * 1024


def notes(folder: Path) -> tuple[list[tuple[Audio, str]], list[tuple[Audio, str, str]]]:
    """LibriVox utterances (audio, transcript) and espeak-ng ones (audio, text, language)."""
    english = [(decode(convert(wav, folder / f"{wav.stem}.ogg")), said)
               for wav, said in librivox()]
    other = [(decode(convert(espeak(text, folder / f"{code}.wav", voice=code),
                             folder / f"{code}.ogg")), text, code)
             for code, text in FOREIGN.items()]
    return english, other


def timed(run: Callable[[Audio], Transcript], audios: list[Audio], rounds: int
          ) -> tuple[list[Transcript], float]:
    """The transcripts of the last round and the best round's seconds per note."""
    best, out = float("inf"), []
    for _ in range(rounds):
        started = time.perf_counter()
        out = [run(a) for a in audios]
        best = min(best, (time.perf_counter() - started) / len(audios))
    return out, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        english, other = notes(Path(tmp))
        before, started = resident_bytes(), time.perf_counter()
        tiny = FasterWhisperTinyEn()
        tiny.load()
        print(f"tiny.en load {time.perf_counter() - started:.2f} s, "
              f"+{(resident_bytes() - before) / MB:.0f} MiB")
        before, started = resident_bytes(), time.perf_counter()
        base_model = load_whisper_base(whisper_base_folder(Path(tmp) / "models"))
        print(f"base join + load {time.perf_counter() - started:.2f} s, "
              f"+{(resident_bytes() - before) / MB:.0f} MiB")
        models = ModelSettings(Path(tmp) / "models")
        backend = cast(FasterWhisperBase, FasterWhisperBase.create(models))
        backend.load()  # shares base's model; tiny.en once more
        audios = [a for a, _ in english]
        said = " ".join(t for _, t in english)
        runs: dict[str, Callable[[Audio], Transcript]] = {
            "tiny.en": lambda a: tiny.transcribe(a, "en"),
            "base, English asked": lambda a: run_whisper(base_model, a, "en"),
            "base, language detected": lambda a: run_whisper(base_model, a, None),
            "speech_recognition backend, unasked": backend.transcribe}
        for label, run in runs.items():
            heard, seconds = timed(run, audios, rounds)
            print(f"LibriVox, {label}: WER {wer(said, ' '.join(h.text for h in heard)):.1%}, "
                  f"{seconds:.2f} s a note ({sum(a.duration for a in audios) / len(audios):.1f}"
                  f" s of speech)")
        for audio, text, code in other:
            found, seconds = timed(backend.transcribe, [audio], rounds)
            print(f"espeak-ng {code}, backend unasked: heard {found[0].language}, "
                  f"WER {wer(text, found[0].text):.0%}, {seconds:.2f} s")


if __name__ == "__main__":
    main()
