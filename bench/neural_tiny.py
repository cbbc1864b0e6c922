"""Load and inference time of each transformers backend of the neural catalog, on the tiny
random-weight checkpoints the tests use (tests/neural.py).

    .venv/bin/python bench/neural_tiny.py

Random weights prove the code path (loading, pre- and post-processing, generation), not
the models' quality or their real speed: the real checkpoints are hundreds of times larger.
Prints the figures and the machine they ran on; record them in bench/README.md.
"""

from __future__ import annotations

import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from bench.turn_latency import cpu_model
from models.ast_catalog import AstDetector
from models.audio import Audio, write_wav
from models.clap_catalog import ClapTargetDetector
from models.diffsinger import DiffSingerOnnx
from models.mms_tts import MmsGerman
from models.musicgen_catalog import MusicGenSmall
from models.scores import requested
from models.talking_head import FPS
from models.wav2lip_catalog import Wav2LipTalkingHead
from tests.neural import (
    random_wav2lip,
    tiny_ast,
    tiny_clap,
    tiny_diffsinger,
    tiny_musicgen,
    tiny_vits,
)

SPEECH = "Guten Morgen. Heute scheint die Sonne, und wir gehen in den Park."


def timed(work: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def main() -> None:
    print(f"machine: {cpu_model()} · {os.cpu_count()} cores · Python "
          f"{platform.python_version()}")
    noise = Audio(np.random.default_rng(0).uniform(-0.3, 0.3, 16_000 * 10).astype(np.float32),
                  16_000)
    detector, music, voice = (AstDetector(tiny_ast()), MusicGenSmall(tiny_musicgen()),
                              MmsGerman(tiny_vits()))
    clap = ClapTargetDetector(tiny_clap())
    singer = DiffSingerOnnx(tiny_diffsinger())
    birthday = requested("happy birthday to my sister", melody="happy birthday")
    rows = [
        ("ast-audioset, 10 s of audio (19 windows)", timed(detector.load),
         timed(lambda: detector.events(noise))),
        ("musicgen-small, 5 s of music", timed(music.load),
         timed(lambda: music.generate("calm piano", 5.0, seed=1))),
        ("mms-tts-deu, two sentences", timed(voice.load),
         timed(lambda: voice.synthesize(SPEECH, language="de"))),
        ("clap-target, 10 s of audio (17 windows)", timed(clap.load),
         timed(lambda: clap.find(noise, "siren"))),
        ("diffsinger-onnx, happy birthday (13.6 s sung)", timed(singer.load),
         timed(lambda: singer.sing(birthday))),
    ]
    for name, load, run in rows:
        print(f"{name:45s} load {load * 1000:6.0f} ms · inference {run * 1000:6.0f} ms")
    lips = Wav2LipTalkingHead(random_wav2lip())  # full size: its architecture is fixed
    load = timed(lips.load)
    speech = Audio(noise.samples[:32_000], 16_000)
    with tempfile.TemporaryDirectory() as work:
        sound = write_wav(speech, Path(work) / "speech.wav")
        run = timed(lambda: lips.render(None, speech, sound, Path(work) / "talking.mp4"))
    print(f"{'wav2lip (full size), 2 s on the default face':45s} load {load * 1000:6.0f} ms · "
          f"per frame {run / (2 * FPS) * 1000:6.0f} ms (50 frames, with the H.264 encoding)")


if __name__ == "__main__":
    main()
