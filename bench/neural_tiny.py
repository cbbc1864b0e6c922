"""Load and inference time of each backend of the neural catalog, on the tiny random-weight
checkpoints the tests use (tests/neural/).

    .venv/bin/python -m bench.neural_tiny

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
from media.audio import Audio
from media.encode import write_wav
from models.generation.audioldm2 import AudioLdm2
from models.generation.musicgen import MusicGenSmall
from models.inpainting.audioldm2 import AudioLdm2Inpaint
from models.separation.sepformer import SepFormerWsj02Mix
from models.singing.diffsinger import DiffSingerOnnx
from models.singing.scores import requested
from models.sound.ast_audioset import AstDetector
from models.sound.clap import ClapTargetDetector
from models.sound.qwen_audio import QwenAudioCaptioner
from models.speech_enhancement.metricgan import MetricGanPlus
from models.style_transfer.csm import CsmVoiceClone
from models.talking_head.video import FPS
from models.talking_head.wav2lip import Wav2LipTalkingHead
from models.text_to_speech.kokoro import Kokoro
from models.text_to_speech.mms import MmsGerman
from models.text_to_speech.piper_voices import VOICES
from models.translation.seamless import SeamlessTranslate
from tests.neural.generation import tiny_audioldm2, tiny_musicgen
from tests.neural.separation import tiny_sepformer
from tests.neural.singing import tiny_diffsinger
from tests.neural.sound import tiny_ast, tiny_clap, tiny_qwen2_audio
from tests.neural.speech_enhancement import random_metricgan
from tests.neural.style_transfer import tiny_csm
from tests.neural.talking_head import random_wav2lip
from tests.neural.text_to_speech import random_kokoro, random_piper_voices, tiny_vits
from tests.neural.translation import tiny_seamless

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
    rows += second_wave(noise)
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


def second_wave(noise: Audio) -> list[tuple[str, float, float]]:
    """The speech and sound backends added with the plain-PyTorch ports and diffusers."""
    german = VOICES[0](random_piper_voices())
    kokoro, enhancer = Kokoro(random_kokoro()), MetricGanPlus(random_metricgan())
    separator, translator = SepFormerWsj02Mix(tiny_sepformer()), SeamlessTranslate(tiny_seamless())
    captioner, cloner = QwenAudioCaptioner(tiny_qwen2_audio()), CsmVoiceClone(tiny_csm())
    sounds, filler = AudioLdm2(tiny_audioldm2(), steps=10), AudioLdm2Inpaint(tiny_audioldm2(),
                                                                              steps=10)
    three = Audio(noise.samples[:48_000], 16_000)
    return [
        ("piper de_DE-thorsten (random VITS), two sentences", timed(german.load),
         timed(lambda: german.synthesize(SPEECH, language="de"))),
        ("kokoro (full decoder, ALBERT cut), 1 sentence", timed(kokoro.load),
         timed(lambda: kokoro.synthesize("Good morning, how are you?"))),
        ("metricgan+ (full size), 10 s", timed(enhancer.load),
         timed(lambda: enhancer.process(noise))),
        ("sepformer (1 layer, width 16), 10 s", timed(separator.load),
         timed(lambda: separator.separate(noise))),
        ("seamless-m4t-v2 (1 layer), 10 s into French", timed(translator.load),
         timed(lambda: translator.translate(noise, "fr"))),
        ("qwen2-audio (1 layer), 10 s described", timed(captioner.load),
         timed(lambda: captioner.describe(noise))),
        ("csm-1b (1 layer), 3 words from a 3 s reference", timed(cloner.load),
         timed(lambda: cloner.speak_like("see you tomorrow", three, "a noise", 1))),
        ("audioldm2 (tiny), 3 s of sound, 10 steps", timed(sounds.load),
         timed(lambda: sounds.generate("rain on a tin roof", 3.0, seed=1))),
        ("audioldm2 inpainting (tiny), 0.4 s gap, 10 steps", timed(filler.load),
         timed(lambda: filler.fill(three, 1.0, 1.4))),
    ]


if __name__ == "__main__":
    main()
