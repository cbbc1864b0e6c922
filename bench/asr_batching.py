"""Whisper tiny.en batching: a 10-minute recording unbatched vs batched, and voice notes
transcribed one by one vs through the batching layer (models/speech_recognition/batching.py).

    .venv/bin/python -m bench.asr_batching [--part long|notes|both] [--batch 1 4 8] [--notes 6]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from media.audio import Audio
from media.decode import decode
from models.settings import ModelSettings
from models.speech_recognition.batching import AsrBatcher
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from tests.samples import SENTENCES, voice_note, wer
from tests.samples import long_recording as make_long_recording


def long_recording(folder: Path, minutes: float = 10.0) -> tuple[Audio, str]:
    """The same input as tests/models/speech_recognition/test_long_recording.py, decoded."""
    path, said = make_long_recording(folder, minutes)
    return decode(path), said


def bench_long(asr: FasterWhisperTinyEn, folder: Path, sizes: list[int]) -> None:
    audio, said = long_recording(folder)
    for size in sizes:
        asr.with_settings(ModelSettings(asr_batch_size=size))
        started = time.perf_counter()
        out = asr.transcribe(audio)
        seconds = time.perf_counter() - started
        print(f"long {audio.duration / 60:.1f} min, batch {size}: {seconds:.1f} s "
              f"({audio.duration / seconds:.0f}x real time), {len(out.segments)} segments, "
              f"WER {wer(said, out.text):.1%}")


def bench_notes(asr: FasterWhisperTinyEn, folder: Path, count: int, rounds: int = 3) -> None:
    notes = [decode(voice_note(SENTENCES[i % len(SENTENCES)], folder, f"n{i}"))
             for i in range(count)]
    asr.transcribe(notes[0])  # warm
    best_one = best_batched = float("inf")
    batcher = AsrBatcher(batch_size=count, window=0.05)
    for _ in range(rounds):
        started = time.perf_counter()
        single = [asr.transcribe(n).text for n in notes]
        best_one = min(best_one, time.perf_counter() - started)
        started = time.perf_counter()
        with ThreadPoolExecutor(count) as pool:
            batched = list(pool.map(lambda n: batcher.transcribe(asr, n).text, notes))
        best_batched = min(best_batched, time.perf_counter() - started)
    batcher.close()
    errors = [wer(SENTENCES[i % len(SENTENCES)], t) for i, t in enumerate(batched)]
    errors_one = [wer(SENTENCES[i % len(SENTENCES)], t) for i, t in enumerate(single)]
    print(f"{count} notes ({sum(n.duration for n in notes):.0f} s of audio), best of {rounds}: "
          f"one by one {best_one:.2f} s ({count / best_one:.2f} notes/s, max WER "
          f"{max(errors_one):.0%}); batched {best_batched:.2f} s ({count / best_batched:.2f} "
          f"notes/s, max WER {max(errors):.0%}); {batcher.batches} batch(es) for "
          f"{batcher.requests} requests")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["long", "notes", "both"], default="both")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--notes", type=int, default=6)
    a = parser.parse_args()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, CPU only")
    asr = FasterWhisperTinyEn()
    asr.load()
    with tempfile.TemporaryDirectory() as tmp:
        if a.part in ("long", "both"):
            bench_long(asr, Path(tmp), a.batch)
        if a.part in ("notes", "both"):
            bench_notes(asr, Path(tmp), a.notes)


if __name__ == "__main__":
    main()
